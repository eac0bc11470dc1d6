// End to end: eventide's client against an eventide hub route, through a forced disconnect (the
// server destroys the socket mid-stream); the client must end with exactly the published sequence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Controller, Sse, createApp, type RequestContext } from '../../src/index.js';
import { Hub } from '../../src/hub/index.js';
import { EventSource, events, type EventOf } from '../../src/client/node.js';
import { until } from './helpers.js';

function newsApp(hub: Hub, sockets: Socket[]) {
  @Controller('news')
  class NewsController {
    @Sse('stream/:room')
    stream(ctx: RequestContext) {
      sockets.push(ctx.req.socket);
      return hub.subscribe(ctx.params.room!, { lastEventId: ctx.lastEventId });
    }
  }
  return createApp({ controllers: [NewsController] });
}

test('EventSource through a forced disconnect receives exactly the published sequence', async () => {
  const hub = new Hub();
  const sockets: Socket[] = [];
  const app = newsApp(hub, sockets);
  await app.listen(0, '127.0.0.1');
  const es = new EventSource(`${app.url}/news/stream/lobby`, { reconnect: { delay: 20 } });
  const received: { data: string; lastEventId: string }[] = [];
  const states: string[] = [];
  es.onopen = () => states.push('open');
  es.onerror = () => states.push(`error:${es.readyState}`);
  es.onmessage = (event) => received.push({ data: event.data, lastEventId: event.lastEventId });
  try {
    await until(() => states.includes('open'), 'the stream to open');
    const ids: string[] = [];
    const publish = async (from: number, to: number) => {
      for (let i = from; i <= to; i++) ids.push(await hub.publish('lobby', { data: `n${i}` }));
    };
    await publish(1, 5);
    await until(() => received.length === 5, 'the first five events');

    sockets[0]!.destroy(); // forced disconnect
    await until(() => states.includes('error:0'), 'the client to notice the disconnect');
    await publish(6, 10); // published while the client is away: replayed from history
    await until(() => states.filter((s) => s === 'open').length === 2, 'the reconnect');
    await publish(11, 15);
    await until(() => received.length >= 15, 'all fifteen events');

    assert.deepEqual(received.map((e) => e.data), Array.from({ length: 15 }, (_, i) => `n${i + 1}`));
    assert.deepEqual(received.map((e) => e.lastEventId), ids);
    assert.deepEqual(states, ['open', 'error:0', 'open']);
  } finally {
    es.close();
    await app.close();
    await hub.close();
  }
});

test('events() with JSON payloads through a forced disconnect, typed', async () => {
  const hub = new Hub();
  const sockets: Socket[] = [];
  const app = newsApp(hub, sockets);
  await app.listen(0, '127.0.0.1');
  try {
    const iterator = events<{ headline: { n: number } }>(`${app.url}/news/stream/front`, { reconnect: { delay: 20 } });
    const first = iterator.next(); // connects
    await until(() => sockets.length === 1, 'the subscription');
    for (let n = 1; n <= 3; n++) await hub.publish('front', { type: 'headline', data: { n } });
    const seen: number[] = [];
    const headline = (event: IteratorResult<EventOf<{ headline: { n: number } }>>): number => {
      assert.equal(event.done, false);
      assert.ok(event.value!.type === 'headline', `a headline, not ${event.value!.type}`);
      return event.value.data.n;
    };
    seen.push(headline(await first));
    for (;;) {
      seen.push(headline(await iterator.next()));
      if (seen.length === 2) {
        sockets[0]!.destroy();
        for (let n = 4; n <= 6; n++) await hub.publish('front', { type: 'headline', data: { n } });
      }
      if (seen.length === 6) break;
    }
    await iterator.return?.();
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
    assert.equal(sockets.length, 2, 'one reconnect');
  } finally {
    await app.close();
    await hub.close();
  }
});
