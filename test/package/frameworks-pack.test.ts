// Each framework platform the way users get it: `npm pack` (of the dist/ `npm test` built) installed
// into a fresh project per platform, beside that framework only (the others are optional peers and
// absent), the README's example (examples/<platform>) compiled with tsc against the installed
// types, run, and asked for events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startProcess } from '../support/processes.js';
import { openStream } from '../support/sse-client.js';

const exec = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const versionOf = (name: string) => JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version as string;

let root = '';
let tarball = '';

interface Platform {
  deps: string[];
  files: string[];
  nest?: boolean;
}
const platforms: Record<string, Platform> = {
  express: { deps: [`express@${versionOf('express')}`, `cors@${versionOf('cors')}`, '@types/express@5', '@types/cors@2'], files: ['main.ts'] },
  fastify: { deps: [`fastify@${versionOf('fastify')}`, `@fastify/cors@${versionOf('@fastify/cors')}`], files: ['main.ts'] },
  nestjs: {
    deps: ['common', 'core', 'platform-express', 'platform-fastify'].map((p) => `@nestjs/${p}@${versionOf(`@nestjs/${p}`)}`).concat(`reflect-metadata@${versionOf('reflect-metadata')}`),
    files: ['main.ts', 'app.module.ts', 'news.controller.ts'],
    nest: true,
  },
};
const projects: Record<string, Promise<string>> = {};

async function project(name: string, platform: Platform): Promise<string> {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `fresh-${name}-app`, private: true, type: 'module' }));
  await exec(
    npm,
    ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `rxjs@${versionOf('rxjs')}`, `typescript@${versionOf('typescript')}`, '@types/node@20', ...platform.deps],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
  );
  for (const file of platform.files) copyFileSync(join(repoRoot, 'examples', name, file), join(dir, 'src', file));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true,
        experimentalDecorators: !!platform.nest, emitDecoratorMetadata: !!platform.nest, outDir: 'out', rootDir: 'src', types: ['node'],
      },
      include: ['src'],
    }),
  );
  try {
    await exec(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    assert.fail(`examples/${name} does not compile against the packed package:\n${e.stdout}${e.stderr}`);
  }
  return dir;
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'eventide-frameworks-pack-'));
  const { stdout } = await exec(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', root], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
  tarball = join(root, (JSON.parse(stdout) as { filename: string }[])[0].filename);
  for (const [name, platform] of Object.entries(platforms)) {
    projects[name] = project(name, platform);
    projects[name].catch(() => undefined); // its failure is the failure of the tests that need it
  }
  // Installed here, not in the tests: on a loaded machine three installs outlast a test's timeout.
  await Promise.allSettled(Object.values(projects));
});

after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

test('express: only Express installed; the example serves its route, next() the rest, cors on the stream', async () => {
  const dir = await projects.express;
  assert.equal(existsSync(join(dir, 'node_modules/fastify')), false);
  assert.equal(existsSync(join(dir, 'node_modules/@nestjs/core')), false);
  const server = await startProcess(join(dir, 'out/main.js'), { PORT: '0' }, dir);
  try {
    assert.equal(await (await fetch(`${server.url}/health`)).text(), 'ok');
    const stream = await openStream(`${server.url}/news/live`, { headers: { origin: 'https://app.example' } });
    assert.equal(stream.response.headers.get('access-control-allow-origin'), 'https://app.example');
    await stream.waitForEvents(1, 5000);
    assert.equal(typeof JSON.parse(stream.events[0].data).at, 'number');
    await stream.close();
  } finally {
    await server.stop();
  }
});

test('fastify: only Fastify installed; the example refuses 401 before a stream, serves it with cors', async () => {
  const dir = await projects.fastify;
  assert.equal(existsSync(join(dir, 'node_modules/express')), false);
  assert.equal(existsSync(join(dir, 'node_modules/@nestjs/core')), false);
  const server = await startProcess(join(dir, 'out/main.js'), { PORT: '0' }, dir);
  try {
    const refused = await fetch(`${server.url}/news/live`);
    assert.equal(refused.status, 401);
    await refused.text();
    const stream = await openStream(`${server.url}/news/live`, { headers: { origin: 'https://app.example', authorization: 'Bearer demo' } });
    assert.equal(stream.response.headers.get('access-control-allow-origin'), 'https://app.example');
    await stream.waitForEvents(1, 5000);
    assert.equal(typeof JSON.parse(stream.events[0].data).at, 'number');
    await stream.close();
  } finally {
    await server.stop();
  }
});

for (const adapter of ['express', 'fastify']) {
  test(`nestjs on ${adapter}: Nest's @Sse unchanged, @EventideSse with cors, a guard's 403, the Hub from DI`, async () => {
    const dir = await projects.nestjs;
    const server = await startProcess(join(dir, 'out/main.js'), { PORT: '0', NEST_ADAPTER: adapter }, dir);
    try {
      const seed = await openStream(`${server.url}/sse`);
      const ticks = await openStream(`${server.url}/ticks`, { headers: { origin: 'https://app.example' } });
      assert.equal(ticks.response.headers.get('access-control-allow-origin'), 'https://app.example');
      assert.equal(ticks.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      await Promise.all([seed.waitForEvents(1, 5000), ticks.waitForEvents(1, 5000)]);
      assert.deepEqual(JSON.parse(seed.events[0].data), { hello: 'world' });
      assert.equal(ticks.text(), 'data: {"hello":"world"}\n\n');
      const refused = await fetch(`${server.url}/rooms/lobby`);
      assert.equal(refused.status, 403);
      await refused.text();
      const room = await openStream(`${server.url}/rooms/lobby`, { headers: { authorization: 'Bearer demo' } });
      await room.waitForEvents(1, 5000);
      assert.match(room.events[0].id ?? '', /.+/); // hub events carry ids (resumable)
      await Promise.all([seed.close(), ticks.close(), room.close()]);
    } finally {
      await server.stop();
    }
  });
}

test("the README's platform examples are these files, verbatim", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  for (const [name, platform] of Object.entries(platforms)) {
    for (const file of platform.files) {
      const text = readFileSync(join(repoRoot, 'examples', name, file), 'utf8').trimEnd();
      assert.ok(readme.includes(text), `README.md does not hold examples/${name}/${file} as it is`);
    }
  }
});
