// Guard rails for eventide/client: its exported names, and that it stays browser-safe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import * as client from '../../src/client/node.js';
import * as browserClient from '../../src/client/index.js';

const clientDir = new URL('../../src/client/', import.meta.url).pathname;

test('eventide/client exports exactly these names, on Node and elsewhere', () => {
  assert.deepEqual(Object.keys(client).sort(), ['EventSource', 'events', 'fromEventSource', 'isGap']);
  assert.deepEqual(Object.keys(browserClient).sort(), Object.keys(client).sort());
  assert.equal(client.EventSource, browserClient.EventSource, 'one class: the Node entry only sets the default transport');
});

// The Node entry (node.ts) and its transport are the only modules of the client that use node:.
const NODE_ONLY = new Set(['node.ts', 'node-transport.ts']);

test('no file under src/client but the Node entry and its transport imports from node:', () => {
  for (const file of readdirSync(clientDir).filter((name) => name.endsWith('.ts') && !NODE_ONLY.has(name))) {
    const source = readFileSync(clientDir + file, 'utf8');
    assert.doesNotMatch(source, /from\s+['"]node:|import\(\s*['"]node:|require\(/, file);
  }
});

test('the package resolves eventide/client to the Node entry on Node and to the browser-safe one elsewhere', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const entry = manifest.exports['./client'];
  const keys = Object.keys(entry);
  assert.equal(entry.node, './dist/client/node.js');
  assert.equal(entry.import, './dist/client/index.js');
  assert.ok(keys.indexOf('node') < keys.indexOf('import'), 'the node condition comes before import');
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
