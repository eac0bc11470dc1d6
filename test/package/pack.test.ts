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
      "import { createApp } from 'eventide';",
      "import { EventSource } from 'eventide/client';",
      "import type { redisBackend } from 'eventide/redis';",
      "import { AppController } from './app.controller.js';",
      'const app = createApp({ controllers: [AppController] });',
      "await app.listen(0, '127.0.0.1');",
      'type Check = typeof redisBackend;',
      'const es: globalThis.EventSource = new EventSource(`${app.url}/sse`);',
      'es.close();',
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

test('the eventide bin runs a Mercure hub from the installed package', async () => {
  const bin = join(project, 'node_modules/.bin/eventide');
  const { stdout } = await exec(bin, ['hub', '--help'], { cwd: project });
  assert.match(stdout, /--redis-url/);
  const { startHubProcessAt } = await import('../mercure/processes.js');
  const hub = await startHubProcessAt(bin, ['--port', '0', '--jwt-key', 'pack-test-secret-key-of-32-bytes!', '--anonymous'], project);
  try {
    const stream = await fetch(`${hub.url}/.well-known/mercure?topic=${encodeURIComponent('https://e.com/{id}')}`);
    assert.equal(stream.status, 200);
    const { sign } = await import('../mercure/helpers.js');
    const token = await sign({ mercure: { publish: ['*'] } }, { key: 'pack-test-secret-key-of-32-bytes!' });
    const res = await fetch(`${hub.url}/.well-known/mercure`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: new URLSearchParams({ topic: 'https://e.com/1', data: 'from the bin', id: 'pack-1' }),
    });
    assert.equal(await res.text(), 'pack-1');
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    assert.equal(text, 'id: pack-1\ndata: from the bin\n\n');
    await reader.cancel();
  } finally {
    await hub.stop();
  }
});

test('eventide/mercure mounts in an app of the installed package', async () => {
  const script = join(project, 'mercure-lib.mjs');
  writeFileSync(
    script,
    [
      "import { createApp } from 'eventide';",
      "import { createMercureHub } from 'eventide/mercure';",
      "const mercure = createMercureHub({ anonymous: true });",
      'const app = createApp({ controllers: [mercure.controller] });',
      "await app.listen(0, '127.0.0.1');",
      "const res = await fetch(`${app.url}/.well-known/mercure?topic=t`);",
      'const reader = res.body.getReader();',
      "const id = await mercure.publish({ topics: 't', data: 'lib' });",
      "let text = '';",
      "while (!text.includes('\\n\\n')) text += new TextDecoder().decode((await reader.read()).value);",
      'console.log(JSON.stringify({ id, text }));',
      'await reader.cancel();',
      'await app.close();',
      'await mercure.close();',
    ].join('\n'),
  );
  const { stdout } = await exec(process.execPath, [script], { cwd: project });
  const { id, text } = JSON.parse(stdout) as { id: string; text: string };
  assert.equal(text, `id: ${id}\ndata: lib\n\n`);
});
