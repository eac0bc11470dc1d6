// Redis Stream ids ("<milliseconds>-<sequence>", both unsigned 64-bit) as eventide event ids.
// They are compact, ASCII-only (safe on the wire) and ordered across every process that appends
// to the same stream, which is what lets a client resume on any process.

const MAX_U64 = 18446744073709551615n;
// Canonical decimal only: no sign, no leading zeros, at most 20 digits. Redis itself would accept
// "01-1" or "1" and mean "1-1" / "1-0"; refusing the aliases keeps one spelling per position.
const ID_PATTERN = /^(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})$/;

/** The id before every entry of a stream. */
export const ZERO_ID = '0-0';

/** A parsed stream id. */
export interface StreamIdParts {
  readonly ms: bigint;
  readonly seq: bigint;
}

/** Parses a canonical stream id, or returns undefined when `id` is not one. No I/O. */
export function parseStreamId(id: string): StreamIdParts | undefined {
  if (typeof id !== 'string' || id.length > 41) return undefined;
  const m = ID_PATTERN.exec(id);
  if (m === null) return undefined;
  const ms = BigInt(m[1]);
  const seq = BigInt(m[2]);
  if (ms > MAX_U64 || seq > MAX_U64) return undefined;
  return { ms, seq };
}

/** True when `id` is a canonical Redis Stream id. */
export function isStreamId(id: string): boolean {
  return parseStreamId(id) !== undefined;
}

/**
 * Orders two stream ids like `Array.prototype.sort` wants. Both must be valid
 * ({@link isStreamId}); an invalid one throws a TypeError, since comparing it would be a bug.
 */
export function compareStreamIds(a: string, b: string): number {
  if (a === b) return 0;
  const pa = parseStreamId(a);
  const pb = parseStreamId(b);
  if (pa === undefined || pb === undefined) {
    throw new TypeError(`compareIds takes two Redis Stream ids, got ${JSON.stringify(pa ? b : a)}`);
  }
  if (pa.ms !== pb.ms) return pa.ms < pb.ms ? -1 : 1;
  if (pa.seq !== pb.seq) return pa.seq < pb.seq ? -1 : 1;
  return 0;
}

/** The milliseconds part of a valid stream id, as a number (Redis's clock when it was added). */
export function streamIdTime(id: string): number {
  const dash = id.indexOf('-');
  return Number(id.slice(0, dash));
}
