// A client that never reads, against Bun.serve and Deno.serve: closed by the slow-client policy, memory bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startFixture, type Runtime } from './runtime-bin.js';
import { eventually, stats } from './helpers.js';

const runtimes: Runtime[] = ['bun', 'deno'];

/** A client in this process that reads the stream as fast as it comes, counting bytes. */
async function readingClient(url: string) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  let bytes = 0;
  let ended: string | undefined;
  const reading = (async () => {
    try {
      const body = response.body!.getReader();
      for (let read = await body.read(); !read.done; read = await body.read()) bytes += read.value.byteLength;
      ended = 'the body ended';
    } catch (err) {
      if (!controller.signal.aborted) ended = `the body failed: ${(err as Error).message}`;
    }
  })();
  return {
    get bytes() {
      return bytes;
    },
    get ended() {
      return ended;
    },
    async stop() {
      controller.abort();
      await reading;
    },
  };
}

for (const runtime of runtimes) {
  test(`${runtime}: a client that never reads is closed by the slow-client policy, one reading beside it is not, and the server's memory stays bounded`, async () => {
    const maxBufferedBytes = 1024 * 1024;
    const server = await startFixture(runtime, 'test/runtimes/fixtures/push.fixture.ts', { maxBufferedBytes });
    const { port, hostname } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Bun resets the cut connection, Deno closes it after the bytes already sent: both end it.
    let reset: string | undefined;
    let reader: Awaited<ReturnType<typeof readingClient>> | undefined;
    socket.on('error', (err: NodeJS.ErrnoException) => (reset = err.code));
    try {
      const before = await stats(server);
      await connected;
      socket.write(`GET /push HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
      // Read the head only, then stop reading: the kernel's buffers fill, then the server's.
      await new Promise<void>((resolve) => socket.once('data', () => resolve()));
      socket.pause();
      // Beside it, a client that reads everything the producer sends.
      reader = await readingClient(`${server.url}/push`);
      let peakRss = before.rss;
      const after = await eventually(
        async () => {
          const s = await stats(server);
          peakRss = Math.max(peakRss, s.rss);
          return s;
        },
        (s) => s.slowClientsClosed === 1 && s.openStreams === 1,
        'the slow client to be closed',
        30_000,
      );
      assert.equal(after.totalStreams, 2);
      // The reader keeps up with the 32 MiB/s producer: another 16 MiB reach it, and it is still open.
      const { bytes: readBefore } = reader;
      await eventually(async () => reader!.bytes, (bytes) => bytes - readBefore >= 16 * 1024 * 1024 || reader!.ended !== undefined, 'the reading client to read 16 MiB more', 30_000);
      assert.equal(reader.ended, undefined, `${runtime}: the reading client's stream ended: ${reader.ended}`);
      const during = await stats(server);
      assert.equal(during.slowClientsClosed, 1, 'only the never-reading client was closed');
      assert.equal(during.openStreams, 1);
      await reader.stop();
      // The producer ran at 32 MiB/s until the policy closed the stream; the server held at most
      // its bound plus the transport's buffers.
      const growth = peakRss - before.rss;
      assert.ok(growth < 96 * 1024 * 1024, `${runtime}: RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
      // The connection is closed by the server: reading what is left ends.
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('data', () => {});
      socket.resume();
      await closed;
      await eventually(() => stats(server), (s) => s.openStreams === 0, 'the reading client to leave');
      console.log(`# ${runtime}: never-reading client closed (${reset ?? 'FIN'}); the reader got ${(reader.bytes / 1048576).toFixed(0)} MiB; server RSS grew ${(growth / 1048576).toFixed(1)} MiB (bound ${maxBufferedBytes / 1048576} MiB)`);
    } finally {
      await reader?.stop();
      socket.destroy();
      await server.stop();
    }
  });
}
