// Guard rails for eventide/client: its exported names, and that it stays browser-safe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import * as client from '../../src/client/index.js';

const clientDir = new URL('../../src/client/', import.meta.url).pathname;

test('eventide/client exports exactly these names', () => {
  assert.deepEqual(Object.keys(client).sort(), ['EventSource', 'events', 'fromEventSource', 'isGap']);
});

test('no file under src/client imports from node:', () => {
  for (const file of readdirSync(clientDir).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(clientDir + file, 'utf8');
    assert.doesNotMatch(source, /from\s+['"]node:|import\(\s*['"]node:|require\(/, file);
  }
});

test('eventide/client bundles for the browser with nothing but rxjs from outside', async () => {
  const result = await build({
    entryPoints: [clientDir + 'index.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    external: ['rxjs'],
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.every((path) => path.startsWith('src/')), inputs.join());
  assert.ok(inputs.includes('src/protocol/parse.ts'));
});
