// Publishing, subscribing, validation, anchors, frames, close and feed release.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventideError, isEventideError } from '../../../src/errors.js';
import { createParser } from '../../../src/protocol/parse.js';
import { frameOf } from '../../../src/protocol/frames.js';
import type { ParsedEvent } from '../../../src/protocol/types.js';
import { ANCHOR_EVENT_TYPE, isAnchor } from '../../../src/hub/index.js';
import { collect, live, waitFor } from '../helpers.js';
import type { HubTestContext } from './context.js';

function parseFrames(frames: Uint8Array[]): { events: ParsedEvent[]; lastEventId: string } {
  const events: ParsedEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  for (const frame of frames) parser.feed(frame);
  return { events, lastEventId: parser.lastEventId };
}

export function basics(t: HubTestContext): void {
  describe('publish and subscribe', () => {
    it('delivers published events with hub ids, original data, type, retry and channel', async () => {
      const hub = await t.hub();
      const ch = t.channel('basic');
      const sub = await live(collect(hub.subscribe(ch)));
      const id1 = await hub.publish(ch, { data: { title: 'hi', tags: ['a'] }, type: 'headline' });
      const id2 = await hub.publish(ch, { data: 'plain\ntext', retry: 100 });
      const id3 = await hub.publish(ch, { data: 42 });
      await waitFor(() => sub.data().length === 3, 'three events');
      const [a, b, c] = sub.events.filter((e) => !isAnchor(e));
      assert.deepEqual({ ...a }, { id: id1, channel: ch, data: { title: 'hi', tags: ['a'] }, type: 'headline' });
      assert.deepEqual({ ...b }, { id: id2, channel: ch, data: 'plain\ntext', retry: 100 });
      assert.deepEqual({ ...c }, { id: id3, channel: ch, data: 42 });
      assert.ok(Object.isFrozen(a) && Object.isFrozen(a.data), 'shared events and their data are frozen');
      assert.ok(hub.backend.compareIds(id1, id2) < 0 && hub.backend.compareIds(id2, id3) < 0);
      sub.subscription.unsubscribe();
    });

    it('writes frames that parse back to the same events, with the stream position as id', async () => {
      const hub = await t.hub();
      const ch = t.channel('frames');
      const sub = await live(collect(hub.subscribe(ch)));
      await hub.publish(ch, { data: { n: 1 }, type: 'tick' });
      await hub.publish(ch, { data: 'two\r\nlines' });
      await waitFor(() => sub.data().length === 2, 'two events');
      const { events, lastEventId } = parseFrames(sub.events.map((e) => frameOf(e)));
      assert.deepEqual(
        events.map((e) => [e.type, e.data, e.id]),
        [
          ['tick', '{"n":1}', sub.events[1].id],
          ['message', 'two\nlines', sub.events[2].id],
        ],
      );
      assert.equal(lastEventId, sub.events[2].id);
    });

    it('starts a fresh stream with an anchor: an id-only frame that dispatches nothing', async () => {
      const hub = await t.hub();
      const ch = t.channel('anchor');
      const sub = await live(collect(hub.subscribe(ch)));
      const anchor = sub.events[0];
      assert.equal(anchor.type, ANCHOR_EVENT_TYPE);
      assert.equal(isAnchor(anchor), true);
      assert.equal(hub.backend.isValidId(anchor.id), true);
      assert.equal(new TextDecoder().decode(frameOf(anchor)), `id: ${anchor.id}\n\n`);
      const parsed = parseFrames([frameOf(anchor)]);
      assert.deepEqual(parsed.events, []);
      assert.equal(parsed.lastEventId, anchor.id, 'the client still records the position');
      const quiet = collect(hub.subscribe(ch, { anchor: false, lastEventId: anchor.id }));
      const none = collect(hub.subscribe(ch, { anchor: false }));
      await hub.publish(ch, { data: 'x' });
      await waitFor(() => sub.data().length === 1 && quiet.events.length === 1, 'the event');
      assert.deepEqual(quiet.data(), ['x']);
      assert.ok(none.events.every((e) => !isAnchor(e)), 'anchor: false sends no anchor');
    });

    it('does not re-send an anchor to a client already at the head', async () => {
      const hub = await t.hub();
      const ch = t.channel('at-head');
      const id = await hub.publish(ch, { data: 'x' });
      const sub = collect(hub.subscribe(ch, { lastEventId: id }));
      await hub.publish(ch, { data: 'y' });
      await waitFor(() => sub.events.length >= 1, 'the next event');
      assert.deepEqual(sub.events.map((e) => e.data), ['y']);
    });

    it('refuses bad events and channels with clear codes', async () => {
      const hub = await t.hub();
      const ch = t.channel('refuse');
      const cases: [unknown, unknown, string][] = [
        [ch, { data: 'x', id: '5' }, 'EVENTIDE_INVALID_EVENT'],
        [ch, { data: 'x', type: 'a\nb' }, 'EVENTIDE_INVALID_EVENT'],
        [ch, { data: 'x', type: 'eventide-gap' }, 'EVENTIDE_INVALID_EVENT'],
        [ch, { data: 'x', retry: -1 }, 'EVENTIDE_INVALID_EVENT'],
        [ch, { data: undefined }, 'EVENTIDE_INVALID_EVENT'],
        [ch, null, 'EVENTIDE_INVALID_EVENT'],
        ['', { data: 'x' }, 'EVENTIDE_INVALID_CHANNEL'],
        ['a\u0000b', { data: 'x' }, 'EVENTIDE_INVALID_CHANNEL'],
        ['x'.repeat(201), { data: 'x' }, 'EVENTIDE_INVALID_CHANNEL'],
        [42, { data: 'x' }, 'EVENTIDE_INVALID_CHANNEL'],
      ];
      for (const [channel, event, code] of cases) {
        await assert.rejects(hub.publish(channel as string, event as never), (err: unknown) => {
          assert.ok(isEventideError(err, code as never), `${String(channel).slice(0, 10)} ${JSON.stringify(event)} -> ${code}, got ${String(err)}`);
          assert.ok((err as Error).message.length > 20, 'the message says what to do');
          return true;
        });
      }
      assert.throws(() => hub.subscribe([]), (err) => isEventideError(err, 'EVENTIDE_INVALID_CHANNEL'));
      assert.throws(() => hub.subscribe(['ok', '\n']), (err) => isEventideError(err, 'EVENTIDE_INVALID_CHANNEL'));
      assert.throws(() => hub.subscribe(Array.from({ length: 65 }, (_, i) => `c${i}`)), (err) => isEventideError(err, 'EVENTIDE_INVALID_CHANNEL'));
      assert.deepEqual((await hub.backend.readAfter(ch, hub.backend.zeroId)).events, [], 'nothing was stored');
    });

    it('is cold: each subscribe starts its own stream, and unsubscribing releases the channel feed', async () => {
      const hub = await t.hub();
      const a = t.channel('cold-a');
      const b = t.channel('cold-b');
      const stream = hub.subscribe(a);
      assert.equal(hub.activeChannels, 0, 'nothing happens before subscribe');
      const s1 = await live(collect(stream));
      const s2 = await live(collect(stream));
      const s3 = await live(collect(hub.subscribe([a, b])));
      assert.equal(hub.activeChannels, 2, 'one feed per channel, shared');
      assert.equal(hub.subscriptionCount, 3);
      await hub.publish(a, { data: 1 });
      await waitFor(() => [s1, s2, s3].every((s) => s.data().length === 1), 'every subscriber to get the event');
      s1.subscription.unsubscribe();
      s3.subscription.unsubscribe();
      assert.equal(hub.activeChannels, 1);
      s2.subscription.unsubscribe();
      assert.equal(hub.activeChannels, 0);
      assert.equal(hub.subscriptionCount, 0);
    });

    it('close() completes every subscription; later publish and subscribe fail with EVENTIDE_CLOSED', async () => {
      const hub = await t.hub();
      const ch = t.channel('close');
      const subs = await Promise.all([live(collect(hub.subscribe(ch))), live(collect(hub.subscribe([ch, t.channel('other')])))]);
      const pending = collect(hub.subscribe(ch, { lastEventId: 'whatever' }));
      await hub.close();
      assert.ok(subs.every((s) => s.completed) && pending.completed, 'all completed');
      assert.equal(hub.activeChannels, 0);
      await assert.rejects(hub.publish(ch, { data: 'late' }), (err) => isEventideError(err, 'EVENTIDE_CLOSED'));
      const late = collect(hub.subscribe(ch));
      assert.ok(late.error instanceof EventideError && late.error.code === 'EVENTIDE_CLOSED');
      assert.equal(hub.close(), hub.close(), 'close is idempotent');
    });
  });
}
