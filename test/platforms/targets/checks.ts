// Checks every framework platform passes, the same test bodies against each target, until the
// shared behaviour suite covers them: exact bytes and headers, errors before open, bodies, hub
// resume with Last-Event-ID, teardown on disconnect, a clean end on close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, mergeMap, NEVER, of, Subject, throwError, timer } from 'rxjs';
import { Controller, Sse, Post, Hub, httpError, type RequestContext } from '../../../src/index.js';
import { openStream, eventually } from '../../support/sse-client.js';
import type { PlatformTarget, TargetAppOptions } from '../target.js';

export function makeControllers(hub: Hub, live: Subject<string>) {
  let tornDown = 0;
  @Controller('ev')
  class ChecksController {
    @Sse('bytes')
    bytes() {
      return concat(of({ data: { hello: 'world' } }, { data: 'a\nb', id: '7', type: 'update' }), NEVER);
    }

    @Sse('refuse')
    refuse() {
      throw httpError(403, 'not yours');
    }

    @Sse('fails-late')
    failsLate() {
      // The failure comes a turn after the first event, so the stream is open by then.
      return concat(of({ data: 'one' }), timer(10).pipe(mergeMap(() => throwError(() => new Error('secret detail')))));
    }

    @Sse('live')
    live(ctx: RequestContext) {
      ctx.signal.addEventListener('abort', () => tornDown++);
      return live.asObservable();
    }

    @Sse('rooms/:room')
    room(ctx: RequestContext) {
      return hub.subscribe(ctx.params.room, { lastEventId: ctx.lastEventId });
    }

    @Post('echo')
    echo(ctx: RequestContext) {
      return { body: ctx.body, query: ctx.query };
    }
  }
  return { ChecksController, tornDown: () => tornDown };
}

/** Runs the checks against `target`. */
export function runFrameworkChecks(target: PlatformTarget, extra: Partial<TargetAppOptions> = {}): void {
  const setup = async () => {
    const hub = new Hub();
    const live = new Subject<string>();
    const made = makeControllers(hub, live);
    const errors: unknown[] = [];
    const running = await target.start({ controllers: [made.ChecksController], onError: (e) => errors.push(e), heartbeatMs: 0, ...extra });
    return { hub, live, made, errors, running };
  };

  test(`${target.name}: exact bytes and stream headers`, async () => {
    const { running, hub } = await setup();
    try {
      const stream = await openStream(`${running.url}/ev/bytes`);
      await stream.waitForEvents(2);
      assert.equal(stream.response.status, 200);
      assert.equal(stream.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(stream.response.headers.get('cache-control'), 'no-cache, no-transform');
      assert.equal(stream.text(), 'data: {"hello":"world"}\n\nid: 7\nevent: update\ndata: a\ndata: b\n\n');
      await stream.close();
    } finally {
      await running.close();
      await hub.close();
    }
  });

  test(`${target.name}: an error before open is a JSON status, one after open the error event`, async () => {
    const { running, hub, errors } = await setup();
    try {
      const refused = await running.request('/ev/refuse');
      assert.equal(refused.status, 403);
      assert.deepEqual(await refused.json(), { statusCode: 403, error: 'Forbidden', code: 'EVENTIDE_HTTP', message: 'not yours' });
      const late = await running.request('/ev/fails-late');
      assert.equal(late.status, 200);
      const text = await late.text();
      assert.match(text, /^data: one\n\nevent: eventide-error\ndata: \{"code":"EVENTIDE_STREAM_FAILED"/);
      assert.doesNotMatch(text, /secret detail/);
      await eventually(() => errors.length === 1, 5000, 'the late error reported');
    } finally {
      await running.close();
      await hub.close();
    }
  });

  test(`${target.name}: request bodies and queries reach the handler`, async () => {
    const { running, hub } = await setup();
    try {
      const res = await running.request('/ev/echo?x=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":[1,2]}' });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { body: { n: [1, 2] }, query: { x: '1' } });
    } finally {
      await running.close();
      await hub.close();
    }
  });

  test(`${target.name}: hub resume after Last-Event-ID`, async () => {
    const { running, hub } = await setup();
    try {
      const first = await hub.publish('lobby', { data: 'one' });
      await hub.publish('lobby', { data: 'two' });
      const stream = await openStream(`${running.url}/ev/rooms/lobby`, { headers: { 'last-event-id': first } });
      await stream.waitForEvents(1);
      assert.equal(stream.events[0].data, 'two');
      await hub.publish('lobby', { data: 'three' });
      await stream.waitForEvents(2);
      assert.equal(stream.events[1].data, 'three');
      await stream.close();
    } finally {
      await running.close();
      await hub.close();
    }
  });

  test(`${target.name}: teardown exactly once per disconnect, over 50 streams`, async () => {
    const { running, hub, live, made } = await setup();
    try {
      const streams = await Promise.all(Array.from({ length: 50 }, () => openStream(`${running.url}/ev/live`)));
      await eventually(() => running.stats.openStreams === 50, 5000, '50 open streams');
      live.next('hi');
      await Promise.all(streams.map((s) => s.waitForEvents(1)));
      await Promise.all(streams.map((s) => s.close()));
      await eventually(() => running.stats.openStreams === 0 && made.tornDown() === 50, 5000, 'all torn down');
      assert.equal(made.tornDown(), 50);
    } finally {
      await running.close();
      await hub.close();
    }
  });

  test(`${target.name}: close() ends open streams cleanly`, async () => {
    const { running, hub } = await setup();
    const stream = await openStream(`${running.url}/ev/live`);
    await eventually(() => running.stats.openStreams === 1, 5000, 'an open stream');
    await running.close();
    await stream.finished;
    assert.equal(stream.ended, true);
    assert.equal(running.stats.openStreams, 0);
    await hub.close();
  });
}
