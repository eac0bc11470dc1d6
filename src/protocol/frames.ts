// Encoded frames (wire bytes of one event), cached per event object so that an event sent to many
// connections is serialized once. Internal: not part of the public API. Browser-safe.
import { encodeDataLines, encodeFields, serializeData, checkId } from './encode.js';
import type { MessageEvent } from './types.js';

// In Node, Buffer.from copies small strings into a shared, pooled slab: far cheaper than a separate
// ArrayBuffer per frame, which TextEncoder makes (measured with `npm run bench`'s seed workload,
// 5,000 streams of one small event a second: 171 MB of RSS with TextEncoder, 160 MB with Buffer).
// Browsers have no Buffer and use TextEncoder.
const textEncoder = new TextEncoder();
const nodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: 'utf8'): Uint8Array } }).Buffer;
const utf8 = {
  encode: nodeBuffer ? (text: string): Uint8Array => nodeBuffer.from(text, 'utf8') : (text: string) => textEncoder.encode(text),
};

// Frames are kept beside the event object, not on it: a user's `{ ...event }` must never carry a
// stale frame into a changed copy. Events that are cached should be frozen by whoever caches them.
const frames = new WeakMap<object, Uint8Array>();

/**
 * Counts data serializations (JSON encoding and line splitting). Tests compare it with the number
 * of events to prove that fan-out encodes each event once.
 */
export const encodeCounter = { count: 0 };

/**
 * Where a frozen event that eventide made (a hub event) keeps its frame: a non-enumerable own
 * property, which copies (`{ ...event }`, `Object.assign`) never carry. Reading it is one property
 * load instead of a WeakMap lookup, for every event to every connection of a hub route. The holder
 * names its owner, so an object that merely inherits from such an event is not taken for it.
 */
const OWN_FRAME: unique symbol = Symbol('eventide.frame');
interface OwnFrame {
  readonly owner: object;
  readonly frame: Uint8Array;
}

/** Freezes `event` with its frame kept on it (see {@link ownFrameOf}). */
export function freezeWithFrame<T extends object>(event: T, frame: Uint8Array): Readonly<T> {
  const holder: OwnFrame = { owner: event, frame };
  Object.defineProperty(event, OWN_FRAME, { value: holder });
  return Object.freeze(event);
}

/** The frame kept on an event by {@link freezeWithFrame}; `undefined` for any other value. */
export function ownFrameOf(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const holder = (value as { [OWN_FRAME]?: OwnFrame })[OWN_FRAME];
  return holder !== undefined && holder.owner === value ? holder.frame : undefined;
}

/** The wire bytes of `event`, encoded on first use and cached for as long as the object lives. */
export function frameOf(event: MessageEvent<unknown>): Uint8Array {
  return ownFrameOf(event) ?? encodedFrameOf(event);
}

/** {@link frameOf} for an event already known to keep no frame of its own. */
export function encodedFrameOf(event: MessageEvent<unknown>): Uint8Array {
  let frame = frames.get(event);
  if (frame === undefined) {
    encodeCounter.count++;
    frame = utf8.encode(encodeFields(event) + encodeDataLines(serializeData(event.data)) + '\n');
    if (Object.isFrozen(event)) frames.set(event, frame);
  }
  return frame;
}

/** Records the frame of a (frozen) event that was encoded by other means, e.g. from a shared body. */
export function setFrame(event: object, frame: Uint8Array): void {
  frames.set(event, frame);
}

/**
 * Encodes everything of an event but its `id:` line: the part shared by every subscriber, whatever
 * id each one must see. `dataText` is the already serialized data.
 */
export function encodeBody(fields: { type?: string; retry?: number }, dataText: string): Uint8Array {
  encodeCounter.count++;
  return utf8.encode(encodeFields(fields) + encodeDataLines(dataText) + '\n');
}

/** Prefixes a shared body with an `id:` line: one small copy, no re-encoding of the data. */
export function withId(id: string, body: Uint8Array): Uint8Array {
  const head = utf8.encode(`id: ${checkId(id)}\n`);
  const frame = new Uint8Array(head.length + body.length);
  frame.set(head, 0);
  frame.set(body, head.length);
  return frame;
}

const BLANK_LINE = utf8.encode('\n');

/**
 * A frame with only an `id:` line. [spec] A block with an id and no data dispatches nothing, yet
 * the client's last event id takes the value.
 */
export function idOnlyFrame(id: string): Uint8Array {
  return withId(id, BLANK_LINE);
}
