// Incremental `text/event-stream` parser, per WHATWG HTML "Server-sent events", section
// "Parsing an event stream" and "Interpreting an event stream". Browser-safe: no `node:` imports.
// Protocol trouble is reported through `onError`, never thrown: the bytes come from the network.
import { EventideError } from '../errors.js';
import type { ParsedEvent } from './types.js';

/** What the parser reports instead of throwing. */
export interface ParseError {
  /** `event-too-large`: one line or one event's data grew past `maxEventSize`; that event is dropped. */
  kind: 'event-too-large';
  message: string;
}

/** Callbacks and limits of {@link createParser}. */
export interface ParserOptions {
  /** Called for each dispatched event (events with at least one `data` field). */
  onEvent: (event: ParsedEvent) => void;
  /** Called with the value of each valid `retry` field (ASCII digits only), in milliseconds. */
  onRetry?: (milliseconds: number) => void;
  /** Called with the text of each comment line, after the colon and one optional space. */
  onComment?: (text: string) => void;
  /** Called when the stream breaks a limit; parsing goes on with the next event. */
  onError?: (error: ParseError) => void;
  /**
   * The largest line, and the largest data of one event, in UTF-16 code units (default 16 MiB).
   * Past it the event is dropped and `onError` called, so a hostile stream cannot grow memory.
   * `Infinity` lifts the limit; anything but a number >= 0 throws `EVENTIDE_INVALID_OPTION`.
   */
  maxEventSize?: number;
}

/** An incremental parser: feed it chunks as they arrive, in order. */
export interface Parser {
  /** Parses the next chunk: text, or bytes (UTF-8, split anywhere, even inside a character). */
  feed(chunk: string | Uint8Array): void;
  /**
   * Ends the stream: [spec] an event not yet dispatched by a blank line is discarded.
   * The parser is then ready for a new stream, keeping its last event id.
   */
  end(): void;
  /**
   * Starts over for a new stream (a reconnection), dropping any partial event.
   * `lastEventId` seeds the id that events carry until the stream sets one (default: keep it).
   */
  reset(options?: { lastEventId?: string }): void;
  /** The last event id as of the most recent blank line: what a reconnect sends as `Last-Event-ID`. */
  readonly lastEventId: string;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const DIGITS_ONLY = /^[0-9]+$/;

/**
 * Creates a streaming parser.
 *
 * @example
 * ```ts
 * const parser = createParser({ onEvent: (e) => console.log(e.type, e.data) });
 * parser.feed('data: hello\n\n'); // logs: message hello
 * ```
 */
export function createParser(options: ParserOptions): Parser {
  const { onEvent, onRetry, onComment, onError } = options;
  const maxEventSize = options.maxEventSize ?? 16 * 1024 * 1024;
  // NaN would turn every size check false and silently lift the memory bound.
  if (typeof maxEventSize !== 'number' || Number.isNaN(maxEventSize) || maxEventSize < 0) {
    throw new EventideError(
      'EVENTIDE_INVALID_OPTION',
      `parser option maxEventSize must be a number >= 0 (UTF-16 code units), got ${String(maxEventSize)}`,
    );
  }

  let decoder: TextDecoder | undefined;
  let atStreamStart = true; // [spec] one leading U+FEFF BOM is stripped, only at the very start
  let pending = ''; // the current line, when a chunk ended before its line break
  let skipLeadingLF = false; // the previous chunk ended in CR: a LF first in this one completes CRLF
  let discardingLine = false; // the current line passed maxEventSize: drop it up to its line break
  let discardingEvent = false; // the current event passed maxEventSize: drop it up to the blank line

  let data = '';
  let hasData = false;
  let eventType = '';
  let idBuffer = '';
  let lastEventId = '';
  let ownId: string | undefined;

  function report(message: string): void {
    onError?.({ kind: 'event-too-large', message });
  }

  function dispatch(): void {
    // [spec] Set the last event ID string of the event source to the last event ID buffer.
    lastEventId = idBuffer;
    const skip = discardingEvent;
    discardingEvent = false;
    // [spec] If the data buffer is empty, reset data and event type buffers and return.
    if (!hasData || skip) {
      data = '';
      hasData = false;
      eventType = '';
      ownId = undefined;
      return;
    }
    // [spec] The trailing LF is removed: `data` is kept without it and joined with LF between lines.
    const event: ParsedEvent = { type: eventType === '' ? 'message' : eventType, data, lastEventId, id: ownId };
    data = '';
    hasData = false;
    eventType = '';
    ownId = undefined;
    onEvent(event);
  }

  function processLine(line: string): void {
    if (line.length === 0) {
      dispatch();
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) {
      // [spec] A line starting with a colon is a comment.
      if (onComment) onComment(line.charCodeAt(1) === SPACE ? line.slice(2) : line.slice(1));
      return;
    }
    let field: string;
    let value: string;
    if (colon === -1) {
      // [spec] A line without a colon is a field name with an empty value.
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      // [spec] Exactly one space after the colon is dropped.
      value = line.charCodeAt(colon + 1) === SPACE ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        if (discardingEvent) return;
        // The joined data counts the LF that will separate this line from the previous ones.
        if ((hasData ? data.length + 1 : 0) + value.length > maxEventSize) {
          discardingEvent = true;
          data = '';
          hasData = false;
          report(`event data exceeds maxEventSize (${maxEventSize}); the event is dropped`);
          return;
        }
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        return;
      case 'event':
        eventType = value;
        return;
      case 'id':
        // [spec] An id containing NUL is ignored.
        if (value.includes('\0')) return;
        idBuffer = value;
        ownId = value;
        return;
      case 'retry':
        // [spec] Only ASCII digits count; anything else ignores the field.
        if (DIGITS_ONLY.test(value)) onRetry?.(Number(value));
        return;
      default:
        // [spec] Any other field is ignored.
        return;
    }
  }

  function feedText(text: string): void {
    if (atStreamStart && text.length > 0) {
      atStreamStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    const length = text.length;
    if (skipLeadingLF && length > 0) {
      skipLeadingLF = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    // Scan for line breaks with indexOf (native, fast); remember both positions so that each is
    // searched once per line rather than once per character.
    let nextLF = text.indexOf('\n', start);
    let nextCR = text.indexOf('\r', start);
    while (start < length) {
      if (nextLF !== -1 && nextLF < start) nextLF = text.indexOf('\n', start);
      if (nextCR !== -1 && nextCR < start) nextCR = text.indexOf('\r', start);
      const end = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR);
      if (end === -1) {
        // No line break left: keep the rest for the next chunk, within the limit.
        if (!discardingLine) {
          if (pending.length + (length - start) > maxEventSize) {
            discardingLine = true;
            pending = '';
            report(`a line exceeds maxEventSize (${maxEventSize}); it is dropped`);
          } else {
            pending += start === 0 ? text : text.slice(start);
          }
        }
        return;
      }
      if (discardingLine) {
        discardingLine = false;
        // The dropped line may have been a data line: drop its whole event too.
        discardingEvent = true;
      } else if (pending.length + (end - start) > maxEventSize) {
        // The same limit when the whole line came in this chunk, so that chunking never changes
        // what is dispatched.
        pending = '';
        discardingEvent = true;
        report(`a line exceeds maxEventSize (${maxEventSize}); it is dropped`);
      } else {
        const piece = text.slice(start, end);
        const line = pending.length > 0 ? pending + piece : piece;
        pending = '';
        processLine(line);
      }
      if (text.charCodeAt(end) === CR) {
        if (end + 1 === length) {
          // [spec] CR ends the line now; if the next chunk starts with LF it belongs to this CRLF.
          skipLeadingLF = true;
          return;
        }
        start = text.charCodeAt(end + 1) === LF ? end + 2 : end + 1;
      } else {
        start = end + 1;
      }
    }
  }

  function resetStream(): void {
    decoder = undefined;
    atStreamStart = true;
    pending = '';
    skipLeadingLF = false;
    discardingLine = false;
    discardingEvent = false;
    data = '';
    hasData = false;
    eventType = '';
    ownId = undefined;
    idBuffer = lastEventId;
  }

  return {
    feed(chunk) {
      if (typeof chunk === 'string') {
        feedText(chunk);
        return;
      }
      // [spec] The stream is decoded as UTF-8; invalid bytes become U+FFFD. The BOM is handled in
      // feedText, so that exactly one is stripped whether bytes or text are fed.
      decoder ??= new TextDecoder('utf-8', { ignoreBOM: true });
      feedText(decoder.decode(chunk, { stream: true }));
    },
    end() {
      if (decoder) feedText(decoder.decode());
      // [spec] Pending data at the end of the stream is discarded.
      resetStream();
    },
    reset(resetOptions) {
      if (resetOptions?.lastEventId !== undefined) lastEventId = resetOptions.lastEventId;
      resetStream();
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}

