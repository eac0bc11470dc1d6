// HTTP/2 with TLS, guards and CORS as users get them: `npm pack` (of the built dist/), installed into a
// fresh project, an app compiled with standard decorators and with experimentalDecorators, run as
// its own process, reached over HTTP/2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startProcess } from '../support/processes.js';
import { http2Fetch, selfSignedCertificate } from './http2-client.js';

const exec = promisify(execFile);
let project = '';
const { key, cert } = selfSignedCertificate();

before(async () => {
  project = mkdtempSync(join(tmpdir(), 'eventide-h2-pack-'));
  const { stdout } = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
  const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'fresh-h2-app', private: true, type: 'module' }));
  const { version: tsVersion } = JSON.parse(readFileSync(join(repoRoot, 'node_modules/typescript/package.json'), 'utf8'));
  await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(project, filename), 'rxjs@7', `typescript@${tsVersion}`, '@types/node@20'], {
    cwd: project,
    maxBuffer: 16 * 1024 * 1024,
  });
  writeFileSync(join(project, 'key.pem'), key);
  writeFileSync(join(project, 'cert.pem'), cert);
});

after(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

const APP = `import { readFileSync } from 'node:fs';
import { Controller, Sse, UseGuards, createApp, httpError, type Guard, type RequestContext } from 'eventide';
import { interval, map } from 'rxjs';

const signedIn: Guard = (ctx) => {
  if (ctx.headers.authorization !== 'Bearer ok') throw httpError(401, 'sign in first');
};
const notOnSunday: Guard = async (ctx) => ctx.query.day !== 'sunday';

@Controller('rooms')
@UseGuards(signedIn)
class RoomsController {
  @UseGuards(notOnSunday)
  @Sse(':room')
  room(ctx: RequestContext) {
    return interval(10).pipe(map((n) => ({ data: { room: ctx.params.room, n, version: ctx.req.httpVersion } })));
  }
}

const app = createApp({
  controllers: [RoomsController],
  cors: { origin: 'https://app.example', credentials: true },
  http2: { key: readFileSync('../key.pem'), cert: readFileSync('../cert.pem') },
});
const { port } = await app.listen(0, '127.0.0.1');
// The test harness looks for an http:// URL; the app itself answers at app.url (https).
console.log(\`\${app.url} port http://127.0.0.1:\${port}\`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
`;

async function compileAndRun(experimentalDecorators: boolean) {
  const dir = join(project, experimentalDecorators ? 'legacy' : 'standard');
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src/main.ts'), APP);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true,
        experimentalDecorators, outDir: 'out', rootDir: 'src', lib: ['ES2022', 'DOM'], skipLibCheck: true, types: ['node'],
      },
      include: ['src'],
    }),
  );
  try {
    await exec(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    assert.fail(`the HTTP/2 app does not compile against the packed types:\n${e.stdout}${e.stderr}`);
  }
  const server = await startProcess(join(dir, 'out/main.js'), {}, dir);
  const port = new URL(server.url).port;
  const client = http2Fetch(`https://127.0.0.1:${port}`, { ca: cert });
  try {
    const refused = await client.request('/rooms/a');
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).message, 'sign in first');
    const sunday = await client.request('/rooms/a?day=sunday', { headers: { authorization: 'Bearer ok' } });
    assert.equal(sunday.status, 403, 'the route guard ran');
    await sunday.text();
    const preflight = await client.request('/rooms/a', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    const stream = await client.request('/rooms/a', { headers: { authorization: 'Bearer ok', origin: 'https://app.example' } });
    assert.equal(stream.status, 200);
    assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(stream.headers.get('access-control-allow-credentials'), 'true');
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    assert.equal(text, 'data: {"room":"a","n":0,"version":"2.0"}\n\n');
    await reader.cancel();
  } finally {
    client.closeAll();
    await server.stop();
  }
}

test('the packed package serves HTTP/2 with guards and CORS, compiled with standard decorators', async () => {
  await compileAndRun(false);
});

test('the packed package serves HTTP/2 with guards and CORS, compiled with experimentalDecorators', async () => {
  await compileAndRun(true);
});
