// A stream on a host whose idle limit eventide cannot lift (Bun.serve given a Request it did not
// make) is kept talking; one whose limit was lifted is left to its heartbeats. In-process, with a
// Bun-shaped server object and mocked interval timers standing in for 4 s periods.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { NEVER, Subject } from 'rxjs';
import { Controller, Sse } from '../../src/index.js';
import { createFetchHandler } from '../../src/web.js';

const utf8 = new TextDecoder();

const news = new Subject<{ data: string }>();

@Controller()
class Quiet {
  @Sse('quiet', { heartbeatMs: 60_000 })
  quiet() {
    return NEVER;
  }

  @Sse('news', { heartbeatMs: 60_000 })
  news() {
    return news;
  }
}

/** A Bun.serve server as the fetch handler's second argument; `knows` says whether requestIP finds the request. */
function bunServer(knows: boolean) {
  const lifted: number[] = [];
  return {
    lifted,
    requestIP: () => (knows ? { address: '10.0.0.7' } : null),
    timeout: (_request: Request, seconds: number) => void lifted.push(seconds),
  };
}

/** A body reader whose `drain()` answers what arrived so far without waiting for more (a read left pending carries over). */
function bodyOf(response: Response) {
  const reader = response.body!.getReader();
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  return {
    async drain(): Promise<string> {
      let text = '';
      for (;;) {
        pending ??= reader.read();
        const next = await Promise.race([pending, new Promise<'none'>((resolve) => setImmediate(() => resolve('none')))]);
        if (next === 'none') return text;
        pending = undefined;
        if (next.done) return text;
        text += utf8.decode(next.value);
      }
    },
    cancel: () => reader.cancel(),
  };
}

test('a quiet stream whose idle limit could not be lifted gets a comment each quiet period; one that talks, or was lifted, does not', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  const app = createFetchHandler({ controllers: [Quiet] });
  try {
    const rebuilt = bunServer(false);
    const own = bunServer(true);
    const guarded = bodyOf(await app.fetch(new Request('http://app.test/quiet'), rebuilt));
    const lifted = bodyOf(await app.fetch(new Request('http://app.test/quiet'), own));
    const talking = bodyOf(await app.fetch(new Request('http://app.test/news'), rebuilt));
    // Bun holds the head until a body byte: both open with a comment.
    assert.equal(await guarded.drain(), ':\n');
    assert.equal(await lifted.drain(), ':\n');
    assert.equal(await talking.drain(), ':\n');
    assert.deepEqual(own.lifted, [0], "the server's own request had its timeout lifted");
    assert.deepEqual(rebuilt.lifted, [0, 0], 'asked for both of its streams all the same (a no-op for a Request Bun did not make)');
    // One 4 s period after opening counts as not quiet; each quiet period after it gets a comment.
    mock.timers.tick(4000);
    assert.equal(await guarded.drain(), '');
    for (let period = 0; period < 3; period++) {
      news.next({ data: `news ${period}` });
      assert.equal(await talking.drain(), `data: news ${period}\n\n`);
      mock.timers.tick(4000);
      assert.equal(await guarded.drain(), ':\n', `period ${period}`);
      assert.equal(await talking.drain(), '', `period ${period}: the stream that wrote gets no comment`);
    }
    assert.equal(await lifted.drain(), '', 'the lifted stream waits for its heartbeat');
    await guarded.cancel();
    await lifted.cancel();
    await talking.cancel();
    // Closed streams are no longer watched: further periods write nothing and throw nothing.
    mock.timers.tick(8000);
    assert.equal(app.stats.openStreams, 0);
  } finally {
    mock.timers.reset();
    await app.close();
  }
});
