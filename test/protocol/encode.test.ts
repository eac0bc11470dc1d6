// Encoder rules (WHATWG HTML "Server-sent events"), asserted as exact wire text.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEvent, encodeComment } from '../../src/protocol/encode.js';
import { createParser } from '../../src/protocol/parse.js';
import type { ParsedEvent } from '../../src/protocol/types.js';
import { EventideError } from '../../src/errors.js';

/** Parses wire text with eventide's parser, for checks that the bytes mean what we intend. */
function parseAll(wire: string): ParsedEvent[] {
  const events: ParsedEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  parser.feed(wire);
  parser.end();
  return events;
}

/** Asserts that `fn` throws EVENTIDE_INVALID_EVENT with a message naming `field`. */
function assertInvalid(fn: () => unknown, field: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof EventideError, `expected EventideError, got ${String(err)}`);
    assert.equal(err.code, 'EVENTIDE_INVALID_EVENT');
    assert.match(err.message, field);
    return true;
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

describe('encodeEvent: data lines', () => {
  test('a single-line string is one data line and a blank line', () => {
    assert.equal(encodeEvent({ data: 'hello' }), 'data: hello\n\n');
  });

  test('LF, CRLF and a lone CR each start a new data line', () => {
    assert.equal(encodeEvent({ data: 'a\nb' }), 'data: a\ndata: b\n\n');
    assert.equal(encodeEvent({ data: 'a\r\nb' }), 'data: a\ndata: b\n\n');
    assert.equal(encodeEvent({ data: 'a\rb' }), 'data: a\ndata: b\n\n');
    assert.equal(encodeEvent({ data: 'a\r\rb' }), 'data: a\ndata: \ndata: b\n\n');
    assert.equal(encodeEvent({ data: 'a\n\r\nb\r' }), 'data: a\ndata: \ndata: b\ndata: \n\n');
    assert.equal(encodeEvent({ data: '\n' }), 'data: \ndata: \n\n');
  });

  test('the wire text never carries a CR, whatever the data', () => {
    const wire = encodeEvent({ data: '\r\r\n\n\r x \r' });
    assert.ok(!wire.includes('\r'));
    assert.deepEqual(parseAll(wire).map((e) => e.data), ['\n\n\n\n x \n']);
  });

  test('a lone CR in data is a line break for the client too', () => {
    assert.deepEqual(parseAll(encodeEvent({ data: 'one\rtwo' })).map((e) => e.data), ['one\ntwo']);
  });

  test('leading spaces in data survive parsing', () => {
    const wire = encodeEvent({ data: ' x' });
    assert.equal(wire, 'data:  x\n\n');
    assert.equal(parseAll(wire)[0]!.data, ' x');
    assert.equal(parseAll(encodeEvent({ data: '  two\n three' }))[0]!.data, '  two\n three');
  });

  test('objects, arrays and null are JSON-encoded', () => {
    assert.equal(encodeEvent({ data: { hello: 'world' } }), 'data: {"hello":"world"}\n\n');
    assert.equal(encodeEvent({ data: [1, 'two', null] }), 'data: [1,"two",null]\n\n');
    assert.equal(encodeEvent({ data: null as unknown as object }), 'data: null\n\n');
    // JSON escapes line breaks, so an object is always a single data line.
    assert.equal(encodeEvent({ data: { text: 'a\r\nb' } }), 'data: {"text":"a\\r\\nb"}\n\n');
  });

  test('toJSON is honoured', () => {
    assert.equal(encodeEvent({ data: new Date(0) as unknown as object }), 'data: "1970-01-01T00:00:00.000Z"\n\n');
  });

  test('numbers, booleans and bigints are stringified', () => {
    assert.equal(encodeEvent({ data: 42 as unknown as string }), 'data: 42\n\n');
    assert.equal(encodeEvent({ data: -1.5 as unknown as string }), 'data: -1.5\n\n');
    assert.equal(encodeEvent({ data: true as unknown as string }), 'data: true\n\n');
    assert.equal(encodeEvent({ data: 12345678901234567890n as unknown as string }), 'data: 12345678901234567890\n\n');
  });

  test('falsy data is sent, not dropped', () => {
    assert.equal(encodeEvent({ data: 0 as unknown as string }), 'data: 0\n\n');
    assert.equal(encodeEvent({ data: '' }), 'data: \n\n');
    assert.equal(encodeEvent({ data: false as unknown as string }), 'data: false\n\n');
    assert.equal(encodeEvent({ data: 0n as unknown as string }), 'data: 0\n\n');
    // `data: ` with nothing after it dispatches an event whose data is the empty string.
    assert.deepEqual(parseAll(encodeEvent({ data: '' })).map((e) => e.data), ['']);
  });
});

describe('encodeEvent: id, type, retry', () => {
  test('fields come before data, in the order id, event, retry', () => {
    assert.equal(
      encodeEvent({ data: 'x', id: '7', type: 'tick', retry: 1500 }),
      'id: 7\nevent: tick\nretry: 1500\ndata: x\n\n',
    );
  });

  test('falsy id, type and retry are sent', () => {
    assert.equal(encodeEvent({ data: 'x', id: '' }), 'id: \ndata: x\n\n');
    assert.equal(encodeEvent({ data: 'x', id: 0 as unknown as string }), 'id: 0\ndata: x\n\n');
    assert.equal(encodeEvent({ data: 'x', type: '' }), 'event: \ndata: x\n\n');
    assert.equal(encodeEvent({ data: 'x', retry: 0 }), 'retry: 0\ndata: x\n\n');
  });

  test('an empty id resets the client\'s last event id', () => {
    const wire = encodeEvent({ data: 'a', id: '5' }) + encodeEvent({ data: 'b', id: '' });
    assert.deepEqual(parseAll(wire).map((e) => e.lastEventId), ['5', '']);
  });

  test('an empty type means message for the client', () => {
    assert.equal(parseAll(encodeEvent({ data: 'x', type: '' }))[0]!.type, 'message');
  });

  test('undefined fields are omitted', () => {
    assert.equal(encodeEvent({ data: 'x', id: undefined, type: undefined, retry: undefined }), 'data: x\n\n');
  });

  test('unicode and colons in id and type pass through', () => {
    const wire = encodeEvent({ data: 'x', id: 'a:b é 😀', type: 'ns:ev ü' });
    assert.equal(wire, 'id: a:b é 😀\nevent: ns:ev ü\ndata: x\n\n');
    assert.deepEqual(parseAll(wire)[0], { type: 'ns:ev ü', data: 'x', lastEventId: 'a:b é 😀', id: 'a:b é 😀' });
  });
});

describe('encodeEvent: refusals', () => {
  test('an id with CR, LF or NUL is refused', () => {
    for (const id of ['a\rb', 'a\nb', 'a\r\nb', '\n', 'a\0b', '\0']) {
      assertInvalid(() => encodeEvent({ data: 'x', id }), /\bid\b/);
    }
  });

  test('a non-string id is refused', () => {
    for (const id of [true, {}, Number.NaN, Number.POSITIVE_INFINITY, 1n, null]) {
      assertInvalid(() => encodeEvent({ data: 'x', id: id as unknown as string }), /\bid\b/);
    }
  });

  test('a type with CR or LF is refused', () => {
    for (const type of ['a\rb', 'a\nb', 'a\r\nb', '\r']) {
      assertInvalid(() => encodeEvent({ data: 'x', type }), /\btype\b/);
    }
    assertInvalid(() => encodeEvent({ data: 'x', type: 5 as unknown as string }), /\btype\b/);
  });

  test('a retry that is not a non-negative integer is refused', () => {
    for (const retry of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1000', 2 ** 60, null]) {
      assertInvalid(() => encodeEvent({ data: 'x', retry: retry as unknown as number }), /\bretry\b/);
    }
  });

  test('data that cannot be sent is refused', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: unknown[] = [
      undefined,
      () => 1,
      Symbol('s'),
      cyclic,
      { toJSON: () => undefined },
      { big: 1n }, // JSON cannot encode a nested bigint
    ];
    for (const data of cases) {
      assertInvalid(() => encodeEvent({ data: data as string }), /\bdata\b/);
    }
  });

  test('an event that is not an object is refused', () => {
    for (const event of [null, undefined, 'data: x', 5]) {
      assertInvalid(() => encodeEvent(event as never), /event/);
    }
  });

  test('a refused event has a cause when JSON.stringify failed', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    try {
      encodeEvent({ data: cyclic });
      assert.fail('expected a throw');
    } catch (err) {
      assert.ok(err instanceof EventideError);
      assert.ok(err.cause instanceof TypeError);
    }
  });
});

describe('encodeEvent: the caller\'s object', () => {
  test('a deep-frozen event encodes and stays deeply equal to a copy', () => {
    const event = deepFreeze({ data: { list: [1, { a: 'b\nc' }], s: 'x' }, id: '9', type: 't', retry: 10 });
    const copy = structuredClone(event);
    assert.equal(
      encodeEvent(event),
      'id: 9\nevent: t\nretry: 10\ndata: {"list":[1,{"a":"b\\nc"}],"s":"x"}\n\n',
    );
    assert.deepEqual(event, copy);
    assert.deepEqual(Object.keys(event), ['data', 'id', 'type', 'retry']);
  });

  test('a refused event is not touched either', () => {
    const event = deepFreeze({ data: 'x\ny', id: 'bad\nid' });
    assertInvalid(() => encodeEvent(event), /\bid\b/);
    assert.deepEqual(event, { data: 'x\ny', id: 'bad\nid' });
  });

  test('encoding the same event twice gives the same text', () => {
    const event = { data: { n: 1 }, id: '1' };
    assert.equal(encodeEvent(event), encodeEvent(event));
    assert.deepEqual(Object.keys(event), ['data', 'id']);
  });
});

describe('encodeComment', () => {
  test('the empty comment is the shortest heartbeat', () => {
    assert.equal(encodeComment(), ':\n');
    assert.equal(encodeComment(''), ':\n');
  });

  test('a one-line comment', () => {
    assert.equal(encodeComment('ping'), ': ping\n');
  });

  test('multi-line text becomes one comment line per line, whatever the line break', () => {
    assert.equal(encodeComment('a\nb'), ': a\n: b\n');
    assert.equal(encodeComment('a\r\nb\rc'), ': a\n: b\n: c\n');
    assert.equal(encodeComment('a\n\nb'), ': a\n:\n: b\n');
    assert.ok(!encodeComment('x\ry\r\n').includes('\r'));
  });

  test('comments dispatch nothing and reach onComment line by line', () => {
    const comments: string[] = [];
    const events: ParsedEvent[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e), onComment: (c) => comments.push(c) });
    parser.feed(encodeComment('first\r\n second') + encodeComment() + '\n');
    assert.deepEqual(comments, ['first', ' second', '']);
    assert.deepEqual(events, []);
  });

  test('a comment cannot inject a field', () => {
    const events: ParsedEvent[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e) });
    parser.feed(encodeComment('x\ndata: injected\n') + '\n');
    assert.deepEqual(events, []);
  });
});
