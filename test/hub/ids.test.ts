// Channel names and the multi-channel id format.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isEventideError } from '../../src/errors.js';
import { channelSetTag, describeLastEventId, formatPositions, normalizeChannels, parsePositions } from '../../src/hub/ids.js';

const digits = (id: string) => /^[0-9]+$/.test(id);

describe('hub ids', () => {
  it('normalizes channel lists: distinct, sorted, validated', () => {
    assert.deepEqual(normalizeChannels('news'), ['news']);
    assert.deepEqual(normalizeChannels(['b', 'a', 'b']), ['a', 'b']);
    for (const bad of [[], '', ['a', ''], ['\u007f'], 'x'.repeat(201), [null]]) {
      assert.throws(() => normalizeChannels(bad), (err) => isEventideError(err, 'EVENTIDE_INVALID_CHANNEL'));
    }
  });

  it('tags a channel set with four base-36 characters that depend on the set', () => {
    assert.match(channelSetTag(['a', 'b']), /^[0-9a-z]{4}$/);
    assert.equal(channelSetTag(['a', 'b']), channelSetTag(['a', 'b']));
    assert.notEqual(channelSetTag(['a', 'b']), channelSetTag(['a', 'c']));
    assert.notEqual(channelSetTag(['ab']), channelSetTag(['a', 'b']), 'names are delimited');
  });

  it('round-trips positions through the id format', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)), { minLength: 2, maxLength: 6 }), fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), (names, numbers) => {
        const channels = [...names].sort();
        const positions = channels.map((_, i) => String(numbers[i]));
        const tag = channelSetTag(channels);
        const id = formatPositions(tag, positions);
        assert.doesNotMatch(id, /[\r\n\0]/);
        assert.deepEqual(parsePositions(id, channels, tag, digits), positions);
      }),
    );
  });

  it('reads absent ids as a fresh start and anything malformed as unknown positions', () => {
    const channels = ['a', 'b'];
    const tag = channelSetTag(channels);
    assert.equal(parsePositions(undefined, channels, tag, digits), null);
    assert.equal(parsePositions('', channels, tag, digits), null);
    assert.equal(parsePositions(null, channels, tag, digits), null);
    assert.deepEqual(parsePositions(`${tag},1,x`, channels, tag, digits), ['1', undefined]);
    assert.deepEqual(parsePositions(`zzzz,1,2`, channels, tag, digits), [undefined, undefined], 'another set');
    assert.deepEqual(parsePositions(`${tag},1`, channels, tag, digits), [undefined, undefined], 'too few');
    assert.deepEqual(parsePositions(`${tag},1,2,3`, channels, tag, digits), [undefined, undefined], 'too many');
    assert.deepEqual(parsePositions('7', ['a'], '', digits), ['7']);
    assert.deepEqual(parsePositions('7'.repeat(3000), ['a'], '', digits), [undefined], 'too long to look at');
    assert.deepEqual(parsePositions(7, ['a'], '', digits), [undefined]);
    const throwing = () => {
      throw new Error('boom');
    };
    assert.deepEqual(parsePositions('7', ['a'], '', throwing), [undefined], 'a throwing check means unknown');
  });

  it('echoes at most 200 characters of a client id', () => {
    assert.equal(describeLastEventId('12'), '12');
    assert.equal(describeLastEventId('x'.repeat(10_000))!.length, 201);
    assert.equal(describeLastEventId(undefined), null);
    assert.equal(describeLastEventId({}), '<object>');
  });
});
