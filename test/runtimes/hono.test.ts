// eventide's fetch handler mounted under a path inside a Hono app, served by Bun.serve and by
// Deno.serve (child processes): Hono's routes, eventide's ordinary route and a live stream through
// the mount, the client address passed through, and teardown when the client leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSse } from '../platforms/suite.js';
import { startFixture, type Runtime, type RunningServer } from './runtime-bin.js';
import { eventually, stats } from './helpers.js';

const runtimes: Runtime[] = ['bun', 'deno'];

async function checkMount(server: RunningServer, prefix: string, peer: string) {
  const status = await fetch(`${server.url}${prefix}/feed/status`);
  assert.equal(status.status, 200);
  assert.deepEqual(await status.json(), { up: true, path: '/feed/status' }, 'eventide sees the path below the mount point');

  const before = await stats(server);
  const response = await fetch(`${server.url}${prefix}/feed/events`);
  const stream = readSse(response);
  try {
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    await stream.waitForEvents(1);
    assert.equal(stream.events[0].data, `/feed/events from ${peer}`);
    // A live event published while the stream is open arrives on it: streamed, not buffered.
    const next = (await (await fetch(`${server.url}/next`, { method: 'POST' })).json()) as { streams: number };
    assert.equal(next.streams, 1);
    await stream.waitForEvents(2);
    assert.deepEqual(
      stream.events.map((e) => [e.data, e.lastEventId]),
      [
        [`/feed/events from ${peer}`, '1'],
        ['live 2', '2'],
      ],
    );
    assert.equal((await stats(server)).openStreams, 1);
  } finally {
    await stream.cancel();
  }
  // The client left: the stream is torn down through the mount.
  const after = await eventually(() => stats(server), (s) => s.openStreams === 0, 'the stream to close');
  assert.equal(after.totalStreams, before.totalStreams + 1);
  const left = (await (await fetch(`${server.url}/next`, { method: 'POST' })).json()) as { streams: number };
  assert.equal(left.streams, 0, 'the source was unsubscribed');
}

for (const runtime of runtimes) {
  test(`${runtime}: eventide mounted in a Hono app under a path streams and answers through Hono`, async () => {
    const server = await startFixture(runtime, 'test/runtimes/fixtures/hono.fixture.ts');
    try {
      const home = await fetch(`${server.url}/`);
      assert.equal(await home.text(), 'hono home', "Hono's own route");
      // Only the mount path reaches eventide: its routes at the root are Hono's 404.
      const outside = await fetch(`${server.url}/feed/status`);
      assert.equal(outside.status, 404);
      await outside.body?.cancel();
      // The host's second argument reaches eventide through Hono. Deno's info carries the client
      // address; Bun's server knows only the Request it made, not the one Hono rebuilt for the
      // mount, so the address is unknown there (README, "Runtimes").
      const peer = runtime === 'deno' ? '127.0.0.1' : 'unknown';
      // Hono's mount() middleware, and the app.mount() method (deprecated in Hono 4).
      await checkMount(server, '/events', peer);
      await checkMount(server, '/legacy', peer);
      const unknown = await fetch(`${server.url}/events/feed/nothing`);
      assert.equal(unknown.status, 404);
      assert.equal((await unknown.json()).code, 'EVENTIDE_HTTP', "eventide's 404 below the mount point");
      assert.deepEqual((await stats(server)).errors, []);
    } finally {
      await server.stop();
    }
  });
}
