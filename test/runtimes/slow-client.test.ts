// A client that never reads, against Bun.serve and Deno.serve: closed by the slow-client policy, memory bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startFixture, type Runtime } from './runtime-bin.js';
import { eventually, stats } from './helpers.js';

const runtimes: Runtime[] = ['bun', 'deno'];
const utf8 = new TextDecoder();
void utf8;

for (const runtime of runtimes) {
  test(`${runtime}: a client that never reads is closed by the slow-client policy and the server's memory stays bounded`, async () => {
    const maxBufferedBytes = 1024 * 1024;
    const server = await startFixture(runtime, 'test/runtimes/fixtures/push.fixture.ts', { maxBufferedBytes });
    const { port, hostname } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Bun resets the cut connection, Deno closes it after the bytes already sent: both end it.
    let reset: string | undefined;
    socket.on('error', (err: NodeJS.ErrnoException) => (reset = err.code));
    try {
      const before = await stats(server);
      await connected;
      socket.write(`GET /push HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
      // Read the head only, then stop reading: the kernel's buffers fill, then the server's.
      await new Promise<void>((resolve) => socket.once('data', () => resolve()));
      socket.pause();
      let peakRss = before.rss;
      const after = await eventually(
        async () => {
          const s = await stats(server);
          peakRss = Math.max(peakRss, s.rss);
          return s;
        },
        (s) => s.slowClientsClosed === 1 && s.openStreams === 0,
        'the slow client to be closed',
        30_000,
      );
      assert.equal(after.totalStreams, 1);
      // The producer ran at 32 MiB/s until the policy closed the stream; the server held at most
      // its bound plus the transport's buffers.
      const growth = peakRss - before.rss;
      assert.ok(growth < 96 * 1024 * 1024, `${runtime}: RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
      // The connection is closed by the server: reading what is left ends.
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('data', () => {});
      socket.resume();
      await closed;
      console.log(`# ${runtime}: never-reading client closed (${reset ?? 'FIN'}); server RSS grew ${(growth / 1048576).toFixed(1)} MiB (bound ${maxBufferedBytes / 1048576} MiB)`);
    } finally {
      socket.destroy();
      await server.stop();
    }
  });
}
