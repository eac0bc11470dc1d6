// Encoding of events to `text/event-stream` wire text, per WHATWG HTML "Server-sent events".
// Browser-safe: no `node:` imports.
import { EventideError } from '../errors.js';
import type { MessageEvent } from './types.js';

// [spec] Lines end in CRLF, a lone LF or a lone CR; the parser treats each as a line break.
const LINE_BREAK = /\r\n|\r|\n/;
const CR_OR_LF = /[\r\n]/;

function invalid(message: string, cause?: unknown): EventideError {
  return new EventideError('EVENTIDE_INVALID_EVENT', message, { cause });
}

/** Turns `data` into the text that the client's `event.data` will equal. */
export function serializeData(data: unknown): string {
  switch (typeof data) {
    case 'string':
      return data;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(data);
    case 'object': {
      let text: string | undefined;
      try {
        text = JSON.stringify(data);
      } catch (err) {
        throw invalid(`event data could not be JSON-encoded (${(err as Error).message}); send plain data or a string`, err);
      }
      // JSON.stringify(value) is undefined only for values with a toJSON() returning undefined.
      if (text === undefined) throw invalid('event data JSON-encoded to nothing; send plain data or a string');
      return text;
    }
    default:
      throw invalid(
        `event data must be a string, number, boolean, bigint or JSON-serializable object, got ${typeof data}; ` +
          'wrap it, e.g. { data: { value } }',
      );
  }
}

/** Refuses an `id` that would corrupt the stream; returns the id as text. */
export function checkId(id: unknown): string {
  const text = typeof id === 'number' && Number.isFinite(id) ? String(id) : id;
  if (typeof text !== 'string') throw invalid(`event id must be a string, got ${typeof id}`);
  // [spec] An id with NUL is ignored by clients; CR or LF would end the field early (stream injection).
  if (CR_OR_LF.test(text) || text.includes('\0')) {
    throw invalid(`event id ${JSON.stringify(text)} contains CR, LF or NUL, which the protocol cannot carry; remove them`);
  }
  return text;
}

/** Refuses an event name that would corrupt the stream. */
export function checkType(type: unknown): string {
  if (typeof type !== 'string') throw invalid(`event type must be a string, got ${typeof type}`);
  if (CR_OR_LF.test(type)) {
    throw invalid(`event type ${JSON.stringify(type)} contains CR or LF, which the protocol cannot carry; remove them`);
  }
  return type;
}

/** Refuses a `retry` that clients would ignore. */
export function checkRetry(retry: unknown): number {
  if (typeof retry !== 'number' || !Number.isSafeInteger(retry) || retry < 0) {
    throw invalid(`event retry must be a non-negative integer number of milliseconds, got ${String(retry)}`);
  }
  return retry;
}

/** Appends one `data:` line per line of `text` (CRLF, LF and CR all count as line breaks). */
export function encodeDataLines(text: string): string {
  if (!CR_OR_LF.test(text)) return `data: ${text}\n`;
  let out = '';
  for (const line of text.split(LINE_BREAK)) out += `data: ${line}\n`;
  return out;
}

/**
 * Encodes one event as wire text, ending with the blank line that dispatches it.
 * Throws `EVENTIDE_INVALID_EVENT` for fields that cannot be sent safely. Never mutates `event`.
 *
 * @example
 * ```ts
 * encodeEvent({ data: { hello: 'world' }, id: '7' }); // 'id: 7\ndata: {"hello":"world"}\n\n'
 * ```
 */
export function encodeEvent(event: MessageEvent<unknown>): string {
  if (event === null || typeof event !== 'object') {
    throw invalid(`an event must be an object like { data }, got ${event === null ? 'null' : typeof event}`);
  }
  return encodeFields(event) + encodeDataLines(serializeData(event.data)) + '\n';
}

/** The `id:`, `event:` and `retry:` lines of an event (empty when it has none of them). */
export function encodeFields(event: { id?: unknown; type?: unknown; retry?: unknown }): string {
  let out = '';
  if (event.id !== undefined) out += `id: ${checkId(event.id)}\n`;
  if (event.type !== undefined) out += `event: ${checkType(event.type)}\n`;
  if (event.retry !== undefined) out += `retry: ${checkRetry(event.retry)}\n`;
  return out;
}

/**
 * Encodes a comment: clients ignore it, proxies see traffic. Multi-line text becomes several
 * comment lines. `encodeComment('')` is the shortest heartbeat, `:\n`.
 */
export function encodeComment(text = ''): string {
  if (text === '') return ':\n';
  let out = '';
  for (const line of text.split(LINE_BREAK)) out += line === '' ? ':\n' : `: ${line}\n`;
  return out;
}
