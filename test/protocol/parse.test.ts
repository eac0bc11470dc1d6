// Parser rules (WHATWG HTML "Server-sent events": "Parsing an event stream" and
// "Interpreting an event stream"), fed as text and as bytes split at every position.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createParser, type ParseError, type Parser, type ParserOptions } from '../../src/protocol/parse.js';
import type { ParsedEvent } from '../../src/protocol/types.js';
import { EventideError } from '../../src/errors.js';

interface Run {
  events: ParsedEvent[];
  retries: number[];
  comments: string[];
  errors: ParseError[];
  parser: Parser;
}

function newRun(options: Partial<ParserOptions> = {}): Run {
  const run = { events: [], retries: [], comments: [], errors: [] } as unknown as Run;
  run.parser = createParser({
    onEvent: (e) => run.events.push(e),
    onRetry: (ms) => run.retries.push(ms),
    onComment: (c) => run.comments.push(c),
    onError: (e) => run.errors.push(e),
    ...options,
  });
  return run;
}

/** Feeds the chunks, then ends the stream. */
function parse(chunks: Array<string | Uint8Array> | string, options: Partial<ParserOptions> = {}): Run {
  const run = newRun(options);
  for (const chunk of typeof chunks === 'string' ? [chunks] : chunks) run.parser.feed(chunk);
  run.parser.end();
  return run;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Every way to cut `bytes` in two, plus one byte at a time. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
  return out;
}

/** Same for text, cutting between UTF-16 code units (even inside a surrogate pair). */
function textSplits(text: string): string[][] {
  const out: string[][] = [];
  for (let i = 0; i <= text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  out.push(Array.from({ length: text.length }, (_, i) => text.slice(i, i + 1)));
  return out;
}

/** Asserts that the stream parses to `expected` however it is chunked, as bytes and as text. */
function assertEverySplit(stream: string, expected: (run: Run) => void): void {
  for (const chunks of splits(utf8(stream))) expected(parse(chunks));
  for (const chunks of textSplits(stream)) expected(parse(chunks));
}

const msg = (data: string, lastEventId = '', id?: string, type = 'message'): ParsedEvent => ({
  type,
  data,
  lastEventId,
  id,
});

describe('line endings', () => {
  test('LF, CR and CRLF each end a line', () => {
    for (const eol of ['\n', '\r', '\r\n']) {
      const stream = `event: t${eol}data: a${eol}data: b${eol}${eol}`;
      assertEverySplit(stream, (run) => assert.deepEqual(run.events, [msg('a\nb', '', undefined, 't')]));
    }
  });

  test('mixed line endings in one event', () => {
    assertEverySplit('data: a\rdata: b\r\ndata: c\n\r\n', (run) => assert.deepEqual(run.events, [msg('a\nb\nc')]));
  });

  test('CRLF split across chunks is one line break, not a blank line', () => {
    const run = parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    assert.deepEqual(run.events, [msg('a\nb')]);
    // And with an empty chunk in between.
    assert.deepEqual(parse(['data: a\r', '', '\ndata: b\n\n']).events, [msg('a\nb')]);
  });

  test('CR then CR is a line break and a blank line', () => {
    assert.deepEqual(parse(['data: a\r', '\r']).events, [msg('a')]);
  });

  test('a lone CR as the last byte of the stream still ends the line', () => {
    // [spec] `data: a\r\r` then end of stream dispatches `a` (Chromium does; some npm parsers wait).
    const run = newRun();
    run.parser.feed('data: a\r\r');
    assert.deepEqual(run.events, [msg('a')], 'dispatched without waiting for another byte');
    run.parser.end();
    assert.deepEqual(run.events, [msg('a')]);
    assertEverySplit('data: a\r\r', (r) => assert.deepEqual(r.events, [msg('a')]));
  });

  test('LF LF and CRLF CRLF dispatch', () => {
    assertEverySplit('data: x\n\n', (run) => assert.deepEqual(run.events, [msg('x')]));
    assertEverySplit('data: x\r\n\r\n', (run) => assert.deepEqual(run.events, [msg('x')]));
  });
});

describe('byte order mark', () => {
  test('one leading BOM is stripped', () => {
    assertEverySplit('\uFEFFdata: x\n\n', (run) => assert.deepEqual(run.events, [msg('x')]));
  });

  test('a second leading BOM is kept: it makes the field name unknown', () => {
    assertEverySplit('\uFEFF\uFEFFdata: x\n\ndata: y\n\n', (run) => assert.deepEqual(run.events, [msg('y')]));
  });

  test('a BOM inside data is kept', () => {
    assertEverySplit('\uFEFFdata: \uFEFFx\n\n', (run) => assert.deepEqual(run.events, [msg('\uFEFFx')]));
  });

  test('a BOM that is not at the start of the stream is not stripped', () => {
    assert.deepEqual(parse(['data: a\n\n', '\uFEFFdata: b\n\n']).events, [msg('a')]);
  });

  test('each new stream (after end or reset) may start with a BOM', () => {
    const run = newRun();
    run.parser.feed(utf8('\uFEFFdata: a\n\n'));
    run.parser.end();
    run.parser.feed('\uFEFFdata: b\n\n');
    run.parser.reset();
    run.parser.feed(utf8('\uFEFFdata: c\n\n'));
    assert.deepEqual(run.events.map((e) => e.data), ['a', 'b', 'c']);
  });
});

describe('fields', () => {
  test('comments go to onComment with one space dropped, and dispatch nothing', () => {
    const run = parse(':\n: ping\n:  two spaces\n:no space\n\n');
    assert.deepEqual(run.comments, ['', 'ping', ' two spaces', 'no space']);
    assert.deepEqual(run.events, []);
  });

  test('a comment between data lines does not break the event', () => {
    assert.deepEqual(parse('data: a\n: hi\ndata: b\n\n').events, [msg('a\nb')]);
  });

  test('a field without a colon has an empty value', () => {
    assert.deepEqual(parse('data\n\n').events, [msg('')]);
    assert.deepEqual(parse('data\ndata\n\n').events, [msg('\n')]);
    assert.deepEqual(parse('id: 3\ndata: x\n\nid\ndata: y\n\n').events, [msg('x', '3', '3'), msg('y', '', '')]);
    assert.deepEqual(parse('event: t\nevent\ndata: x\n\n').events, [msg('x')]);
  });

  test('exactly one space after the colon is dropped', () => {
    assert.deepEqual(parse('data:x\n\n').events, [msg('x')]);
    assert.deepEqual(parse('data: x\n\n').events, [msg('x')]);
    assert.deepEqual(parse('data:  x\n\n').events, [msg(' x')]);
    assert.deepEqual(parse('data:\tx\n\n').events, [msg('\tx')]);
    assert.deepEqual(parse('data: x \n\n').events, [msg('x ')]);
    assert.deepEqual(parse('event:  t\ndata\n\n').events, [msg('', '', undefined, ' t')]);
  });

  test('only the first colon separates the field', () => {
    assert.deepEqual(parse('data: a: b:c\n\n').events, [msg('a: b:c')]);
  });

  test('`data:` with nothing after it dispatches empty data', () => {
    assert.deepEqual(parse('data:\n\n').events, [msg('')]);
    assert.deepEqual(parse('data: \n\n').events, [msg('')]);
    assert.deepEqual(parse('data:\ndata:\n\n').events, [msg('\n')]);
  });

  test('data lines are joined with LF and the last LF is not part of the data', () => {
    assert.deepEqual(parse('data: a\ndata:\ndata: b\n\n').events, [msg('a\n\nb')]);
  });

  test('field names are case-sensitive and unknown fields are ignored', () => {
    const run = parse('Data: no\nDATA: no\nfoo: bar\ndata : no\n data: no\ndata: yes\nretries: 5\n\n');
    assert.deepEqual(run.events, [msg('yes')]);
    assert.deepEqual(run.retries, []);
  });

  test('an event without data dispatches nothing but updates the last event id', () => {
    const run = newRun();
    run.parser.feed('id: 1\nevent: t\n\n');
    assert.deepEqual(run.events, []);
    assert.equal(run.parser.lastEventId, '1');
    run.parser.feed('data: x\n\n');
    // The type belonged to the event without data: the next one is a plain message.
    assert.deepEqual(run.events, [msg('x', '1')]);
  });

  test('the event type applies to one event only', () => {
    assert.deepEqual(parse('event: a\ndata: 1\n\ndata: 2\n\n').events, [
      msg('1', '', undefined, 'a'),
      msg('2'),
    ]);
  });

  test('the last event type and id in an event win', () => {
    assert.deepEqual(parse('event: a\nid: 1\nevent: b\nid: 2\ndata: x\n\n').events, [msg('x', '2', '2', 'b')]);
  });
});

describe('last event id', () => {
  test('persists across later events until an id changes it', () => {
    const run = parse('id: 1\ndata: a\n\ndata: b\n\nevent: t\ndata: c\n\nid: 2\ndata: d\n\ndata: e\n\n');
    assert.deepEqual(run.events, [
      msg('a', '1', '1'),
      msg('b', '1'),
      msg('c', '1', undefined, 't'),
      msg('d', '2', '2'),
      msg('e', '2'),
    ]);
    assert.equal(run.parser.lastEventId, '2');
  });

  test('an id containing NUL is ignored', () => {
    const run = parse('id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\nid: \0\ndata: c\n\n');
    assert.deepEqual(run.events, [msg('a', '1', '1'), msg('b', '1'), msg('c', '1')]);
    assert.equal(run.parser.lastEventId, '1');
  });

  test('an empty id resets it', () => {
    const run = parse('id: 1\ndata: a\n\nid:\ndata: b\n\ndata: c\n\n');
    assert.deepEqual(run.events, [msg('a', '1', '1'), msg('b', '', ''), msg('c')]);
    assert.equal(run.parser.lastEventId, '');
  });

  test('the last event id is only committed by a blank line', () => {
    const run = newRun();
    run.parser.feed('id: 1\ndata: a\n');
    assert.equal(run.parser.lastEventId, '');
    run.parser.feed('\n');
    assert.equal(run.parser.lastEventId, '1');
  });

  test('an id in an event cut off by end() is not committed', () => {
    const run = newRun();
    run.parser.feed('id: 1\ndata: a\n\nid: 2\ndata: b\n');
    run.parser.end();
    assert.equal(run.parser.lastEventId, '1');
    run.parser.feed('data: c\n\n');
    assert.deepEqual(run.events, [msg('a', '1', '1'), msg('c', '1')]);
  });

  test('reset({ lastEventId }) seeds the id of the next stream', () => {
    const run = newRun();
    run.parser.feed('id: 1\ndata: a\n\ndata: half');
    run.parser.reset({ lastEventId: '41' });
    assert.equal(run.parser.lastEventId, '41');
    run.parser.feed('\n\ndata: b\n\n');
    assert.deepEqual(run.events, [msg('a', '1', '1'), msg('b', '41')]);
  });

  test('reset() without options keeps the last event id and drops the partial event', () => {
    const run = newRun();
    run.parser.feed('id: 1\ndata: a\n\nid: 9\nevent: t\ndata: partial\n');
    run.parser.reset();
    run.parser.feed('data: b\n\n');
    assert.deepEqual(run.events, [msg('a', '1', '1'), msg('b', '1')]);
    assert.equal(run.parser.lastEventId, '1');
  });

  test('reset({ lastEventId: "" }) clears it', () => {
    const run = newRun();
    run.parser.feed('id: 1\ndata: a\n\n');
    run.parser.reset({ lastEventId: '' });
    run.parser.feed('data: b\n\n');
    assert.deepEqual(run.events.map((e) => e.lastEventId), ['1', '']);
  });
});

describe('retry', () => {
  test('only ASCII digits count', () => {
    const run = parse('retry: 1000\nretry: 1a\nretry: -1\nretry: \nretry\nretry: 1.5\nretry:  7\nretry: ٣\nretry: 0\nretry:42\n\n');
    assert.deepEqual(run.retries, [1000, 0, 42]);
    assert.deepEqual(run.events, []);
  });

  test('retry is reported at once, without waiting for the blank line', () => {
    const run = newRun();
    run.parser.feed('retry: 250\n');
    assert.deepEqual(run.retries, [250]);
  });
});

describe('end of stream', () => {
  test('the incomplete last event is discarded', () => {
    assert.deepEqual(parse('data: a\n\ndata: b\n').events, [msg('a')]);
    assert.deepEqual(parse('data: a\n\ndata: b').events, [msg('a')]);
    assert.deepEqual(parse('data: a\n\ndata: b\r').events, [msg('a')]);
  });

  test('after end() the parser parses a new stream from scratch', () => {
    const run = newRun();
    run.parser.feed('event: t\ndata: partial');
    run.parser.end();
    run.parser.feed('data: next\n\n');
    assert.deepEqual(run.events, [msg('next')]);
  });

  test('a CR at the end of one stream does not swallow the LF starting the next', () => {
    const run = newRun();
    run.parser.feed('data: a\n\r');
    run.parser.end();
    // A new stream: its first LF is a blank line, not the second half of a CRLF.
    run.parser.feed('data: b\n\n');
    assert.deepEqual(run.events, [msg('a'), msg('b')]);
  });
});

describe('UTF-8', () => {
  const samples = ['é', '€', '😀', 'aé€😀z'];
  for (const sample of samples) {
    test(`${JSON.stringify(sample)} split at every byte boundary`, () => {
      const stream = `id: ${sample}\nevent: ${sample}\ndata: ${sample}\n\n`;
      assertEverySplit(stream, (run) => {
        assert.deepEqual(run.events, [msg(sample, sample, sample, sample)]);
      });
    });
  }

  test('invalid UTF-8 becomes U+FFFD', () => {
    const bytes = new Uint8Array([...utf8('data: a'), 0xff, 0xc3, ...utf8('b'), 0xe2, 0x82, ...utf8('\n\n')]);
    for (const chunks of splits(bytes)) {
      assert.deepEqual(parse(chunks).events, [msg('a\uFFFD\uFFFDb\uFFFD')]);
    }
  });

  test('a truncated character at the end of the stream does not leak into the next stream', () => {
    const run = newRun();
    run.parser.feed(new Uint8Array([...utf8('data: a\n\ndata: '), 0xf0, 0x9f]));
    run.parser.end();
    run.parser.feed(utf8('data: b\n\n'));
    assert.deepEqual(run.events, [msg('a'), msg('b')]);
  });

  test('NUL and other control characters in data pass through', () => {
    assert.deepEqual(parse([utf8('data: a\0b\x01\x7f\n\n')]).events, [msg('a\0b\x01\x7f')]);
  });
});

describe('maxEventSize', () => {
  const max = 16;

  test('a data value of exactly maxEventSize is accepted', () => {
    const run = parse(`data:${'x'.repeat(max - 5)}\n\n`, { maxEventSize: max });
    assert.equal(run.errors.length, 0);
    assert.deepEqual(run.events, [msg('x'.repeat(max - 5))]);
  });

  test('a too-long line is reported, its event dropped, and the next event parsed', () => {
    const stream = `data: ok1\n\ndata: ${'y'.repeat(40)}\ndata: more\n\ndata: ok2\n\n`;
    for (const chunks of splits(utf8(stream))) {
      const run = parse(chunks, { maxEventSize: max });
      assert.deepEqual(run.events, [msg('ok1'), msg('ok2')]);
      assert.ok(run.errors.length >= 1, 'reported');
      assert.ok(run.errors.every((e) => e.kind === 'event-too-large' && /maxEventSize/.test(e.message)));
    }
  });

  test('too-long data over several lines is reported and the event dropped', () => {
    // Each line is short; together they pass the limit.
    const stream = `data: 0123456\ndata: 0123456\ndata: 0123456\n\ndata: ok\n\n`;
    for (const chunks of splits(utf8(stream))) {
      const run = parse(chunks, { maxEventSize: max });
      assert.deepEqual(run.events, [msg('ok')]);
      assert.equal(run.errors.length, 1);
      assert.equal(run.errors[0]!.kind, 'event-too-large');
    }
  });

  test('the oversized event still updates the last event id', () => {
    const run = parse(`id: 7\ndata: ${'z'.repeat(40)}\n\ndata: next\n\n`, { maxEventSize: max });
    assert.deepEqual(run.events, [msg('next', '7')]);
  });

  test('no event is dispatched with data longer than maxEventSize, however it is chunked', () => {
    // Data of max + 1 code units, reached several ways: one long line, or lines joined by LF.
    const streams = [
      `data:${'a'.repeat(max + 1)}\n\n`,
      `data:${'a'.repeat(max)}\ndata:\n\n`,
      `data:${'a'.repeat(8)}\ndata:${'b'.repeat(max - 8)}\n\n`,
    ];
    for (const stream of streams) {
      for (const chunks of textSplits(stream)) {
        const run = parse(chunks, { maxEventSize: max });
        assert.deepEqual(run.events, [], `${JSON.stringify(stream)} in ${chunks.length} chunks`);
        assert.ok(run.errors.length >= 1);
      }
    }
  });

  test('a too-long line of any field is dropped whether or not its line break is in the same chunk', () => {
    const stream = `id: ${'i'.repeat(max)}\ndata: x\n\ndata: y\n\n`;
    const outcomes = new Set<string>();
    for (const chunks of textSplits(stream)) {
      const run = parse(chunks, { maxEventSize: max });
      outcomes.add(JSON.stringify({ events: run.events, errors: run.errors.length > 0 }));
    }
    assert.deepEqual([...outcomes], [JSON.stringify({ events: [msg('y')], errors: true })]);
  });

  test('pending memory stays bounded while a hostile line never ends', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const run = newRun({ maxEventSize: 1024 * 1024 });
    const chunkSize = 256 * 1024;
    gc();
    const before = process.memoryUsage().heapUsed;
    run.parser.feed('data: ');
    for (let i = 0; i < 256; i++) {
      // A fresh buffer each time, so that keeping the decoded chunks would really cost memory (64 MiB).
      run.parser.feed(new Uint8Array(chunkSize).fill(0x61 + (i % 26)));
    }
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    assert.ok(growth < 16 * 1024 * 1024, `heap grew by ${growth} bytes`);
    assert.equal(run.errors.length, 1, 'reported once');
    run.parser.feed('\n\ndata: after\n\n');
    assert.deepEqual(run.events, [msg('after')]);
  });

  test('pending memory stays bounded while one event keeps adding data lines', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const run = newRun({ maxEventSize: 1024 * 1024 });
    const line = `data: ${'q'.repeat(1000)}\n`;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 20_000; i++) run.parser.feed(utf8(line)); // 20 MB of data for one event
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    assert.ok(growth < 8 * 1024 * 1024, `heap grew by ${growth} bytes`);
    assert.equal(run.errors.length, 1);
    run.parser.feed('\ndata: after\n\n');
    assert.deepEqual(run.events, [msg('after')]);
  });
});

describe('options', () => {
  test('a maxEventSize that is not a number >= 0 is refused, not silently unbounded', () => {
    for (const maxEventSize of [Number.NaN, -1, '1024', {}]) {
      assert.throws(
        () => createParser({ onEvent: () => {}, maxEventSize: maxEventSize as unknown as number }),
        (err: unknown) =>
          err instanceof EventideError && err.code === 'EVENTIDE_INVALID_OPTION' && /maxEventSize/.test(err.message),
      );
    }
  });

  test('maxEventSize 0 drops every event and Infinity disables the limit', () => {
    assert.deepEqual(parse('data\n\ndata: x\n\n', { maxEventSize: 0 }).events, []);
    assert.deepEqual(parse(`data: ${'x'.repeat(100)}\n\n`, { maxEventSize: Number.POSITIVE_INFINITY }).events, [
      msg('x'.repeat(100)),
    ]);
  });
});

describe('callbacks', () => {
  test('a parser without optional callbacks parses quietly', () => {
    const events: ParsedEvent[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e), maxEventSize: 10 });
    parser.feed(': c\nretry: 5\ndata: far too long\n\ndata: ok\n\n');
    assert.deepEqual(events, [msg('ok')]);
  });

  test('events arrive synchronously and in order within one chunk', () => {
    const run = newRun();
    run.parser.feed('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    assert.deepEqual(run.events.map((e) => e.data), ['1', '2', '3']);
  });
});
