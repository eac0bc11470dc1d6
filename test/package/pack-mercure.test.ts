// The Mercure hub as users install it: `npm pack`, install the tarball into a fresh project (with
// only rxjs beside it), run the `eventide` bin and import `eventide/mercure`. Its own file, so that
// its install does not eat into the time of pack.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../support/processes.js';

const exec = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let project = '';

before(async () => {
  project = mkdtempSync(join(tmpdir(), 'eventide-pack-mercure-'));
  const { stdout } = await exec(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', project], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
  const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'fresh-hub', private: true, type: 'module' }));
  await exec(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', join(project, filename), 'rxjs@7'], { cwd: project, maxBuffer: 16 * 1024 * 1024 });
});

after(() => {
  if (project) rmSync(project, { recursive: true, force: true });
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
