// The path users take: `npm pack` (of the dist/ that `npm test` just built), install the tarball into a fresh project, compile the seed
// example in both decorator modes against the installed types, run it, receive an event.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startProcess } from '../support/processes.js';

const exec = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let project = '';

before(async () => {
  project = mkdtempSync(join(tmpdir(), 'eventide-pack-'));
  const { stdout } = await exec(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', project], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
  const [{ filename, files }] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  // Only the built package and its docs ship: no sources, tests, examples or benchmarks.
  for (const f of files) assert.match(f.path, /^(dist\/|README\.md$|package\.json$|LICENSE$)/, `unexpected file in tarball: ${f.path}`);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }));
  const { version: tsVersion } = JSON.parse(readFileSync(join(repoRoot, 'node_modules/typescript/package.json'), 'utf8'));
  await exec(
    npm,
    ['install', '--no-audit', '--no-fund', '--prefer-offline', join(project, filename), 'rxjs@7', 'ioredis@5', `typescript@${tsVersion}`, '@types/node@20'],
    { cwd: project, maxBuffer: 16 * 1024 * 1024 },
  );
});

after(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

async function compileAndRun(experimentalDecorators: boolean) {
  const dir = join(project, experimentalDecorators ? 'legacy' : 'standard');
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src/app.controller.ts'), readFileSync(join(repoRoot, 'examples/seed/app.controller.ts')));
  writeFileSync(
    join(dir, 'src/main.ts'),
    [
      "import { Controller, Sse, createApp } from 'eventide';",
      "import { EventSource } from 'eventide/client';",
      "import type { redisBackend } from 'eventide/redis';",
      "import { createFetchHandler, type WebRequestContext } from 'eventide/web';",
      "import { AppController } from './app.controller.js';",
      // The fetch platform's context is typed with the web Request: ctx.req.url is a string there.
      '@Controller()',
      'class WebEcho {',
      "  @Sse('echo')",
      '  async *echo(ctx: WebRequestContext) {',
      '    const url: string = ctx.req.url;',
      '    yield { data: `${ctx.req.method} ${new URL(url).pathname} ${String(ctx.res)}` };',
      '  }',
      '}',
      'const web = createFetchHandler({ controllers: [WebEcho] });',
      "const echoed = await (await web.fetch(new Request('http://localhost/echo'))).text();",
      "if (echoed !== 'data: GET /echo undefined\\n\\n') throw new Error(`fetch platform answered ${JSON.stringify(echoed)}`);",
      'const app = createApp({ controllers: [AppController] });',
      "await app.listen(0, '127.0.0.1');",
      'type Check = typeof redisBackend;',
      'const es: globalThis.EventSource = new EventSource(`${app.url}/sse`);',
      'es.close();',
      // On Node the package's client goes through node:http, not fetch (fetch sends Sec-Fetch-Mode).
      "const { createServer } = await import('node:http');",
      "const probe = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`data: ${req.headers['sec-fetch-mode'] === undefined ? 'node:http' : 'fetch'}\\n\\n`));",
      "await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));",
      'const via = await new Promise<string>((resolve) => {',
      "  const source = new EventSource(`http://127.0.0.1:${(probe.address() as { port: number }).port}/`);",
      '  source.onmessage = (event) => { source.close(); resolve(event.data); };',
      '});',
      'probe.close();',
      "if (via !== 'node:http') throw new Error(`eventide/client on Node made its request through ${via}`);",
      'console.log(`listening on ${app.url}`);',
      "process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));",
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true,
        experimentalDecorators, outDir: 'out', rootDir: 'src', lib: ['ES2022', 'DOM'],
      },
      include: ['src'],
    }),
  );
  try {
    await exec(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    assert.fail(`the seed example does not compile against the packed types:\n${e.stdout}${e.stderr}`);
  }
  const server = await startProcess(join(dir, 'out/main.js'), {}, dir);
  try {
    const res = await fetch(`${server.url}/sse`);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    assert.equal(new TextDecoder().decode(value), 'data: {"hello":"world"}\n\n');
    await reader.cancel();
  } finally {
    await server.stop();
  }
}

test('the packed tarball works in a fresh project with standard decorators', async () => {
  await compileAndRun(false);
});

test('the packed tarball works in a fresh project with experimentalDecorators', async () => {
  await compileAndRun(true);
});

test('internals are not importable from the package', async () => {
  const script = join(project, 'deep-import.mjs');
  writeFileSync(script, "await import('eventide/dist/hub/hub.js');");
  await assert.rejects(exec(process.execPath, [script], { cwd: project }), /ERR_PACKAGE_PATH_NOT_EXPORTED/);
});
