// Channel names and stream positions. A single-channel stream's id is the backend's own id; a
// multi-channel stream's id carries one position per channel so that a reconnect resumes each of
// them exactly. Internal: the hub and its tests use these helpers; the format is documented in
// src/hub/README-section.md.
import { EventideError } from '../errors.js';

/** Longest channel name accepted, in UTF-16 code units. */
export const MAX_CHANNEL_LENGTH = 200;

/** Most channels one subscription may carry. */
export const MAX_CHANNELS_PER_SUBSCRIPTION = 64;

/**
 * Longest `lastEventId` the hub looks at. Longer values come from a confused or hostile client:
 * they are treated as unknown (gap signal) without being parsed.
 */
export const MAX_LAST_EVENT_ID_LENGTH = 2048;

/** Separates the parts of a multi-channel id. Backend ids never contain it (see HubBackend). */
export const POSITION_SEPARATOR = ',';

// C0 controls and DEL: invisible in logs and dangerous in keys.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks one channel name: a non-empty string of at most {@link MAX_CHANNEL_LENGTH} characters
 * without control characters. Throws `EVENTIDE_INVALID_CHANNEL` otherwise.
 */
export function checkChannel(channel: unknown): string {
  if (typeof channel !== 'string') {
    throw new EventideError('EVENTIDE_INVALID_CHANNEL', `a channel name must be a string, got ${channel === null ? 'null' : typeof channel}`);
  }
  if (channel.length === 0) {
    throw new EventideError('EVENTIDE_INVALID_CHANNEL', 'a channel name must not be empty; name the channel, e.g. "news"');
  }
  if (channel.length > MAX_CHANNEL_LENGTH) {
    throw new EventideError(
      'EVENTIDE_INVALID_CHANNEL',
      `a channel name may have at most ${MAX_CHANNEL_LENGTH} characters, got ${channel.length}; use a shorter name`,
    );
  }
  if (CONTROL.test(channel)) {
    throw new EventideError(
      'EVENTIDE_INVALID_CHANNEL',
      `channel name ${JSON.stringify(channel)} contains control characters; use printable characters only`,
    );
  }
  return channel;
}

/**
 * Normalizes what `hub.subscribe` was given into a sorted list of distinct, valid channels.
 * The order is what positions in a multi-channel id follow.
 */
export function normalizeChannels(channels: unknown): string[] {
  const list = Array.isArray(channels) ? channels : [channels];
  if (list.length === 0) {
    throw new EventideError('EVENTIDE_INVALID_CHANNEL', 'subscribe needs at least one channel, got an empty list');
  }
  const distinct = [...new Set(list.map(checkChannel))].sort();
  if (distinct.length > MAX_CHANNELS_PER_SUBSCRIPTION) {
    throw new EventideError(
      'EVENTIDE_INVALID_CHANNEL',
      `one subscription may carry at most ${MAX_CHANNELS_PER_SUBSCRIPTION} channels, got ${distinct.length}; split it`,
    );
  }
  return distinct;
}

/**
 * A short tag of a sorted channel list (4 base-36 characters of a 32-bit FNV-1a hash), written at
 * the front of a multi-channel id so that positions are never applied to another set of channels.
 */
export function channelSetTag(sortedChannels: readonly string[]): string {
  let hash = 0x811c9dc5;
  for (const channel of sortedChannels) {
    for (let i = 0; i < channel.length; i++) {
      hash ^= channel.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    // A separator that no channel name contains (control characters are refused).
    hash ^= 0x0a;
    hash = Math.imul(hash, 0x01000193);
  }
  return ((hash >>> 0) % 36 ** 4).toString(36).padStart(4, '0');
}

/**
 * The id of a multi-channel stream: `<tag>,<position 1>,...,<position n>`, positions in sorted
 * channel order. Single-channel streams use the backend id as is.
 */
export function formatPositions(tag: string, positions: readonly string[]): string {
  return tag + POSITION_SEPARATOR + positions.join(POSITION_SEPARATOR);
}

/**
 * Reads a client's `lastEventId` for a subscription: one position per channel, or `undefined` for
 * a channel whose position is unknown (malformed, foreign, hostile). Never throws.
 *
 * @returns `null` when the client sent no id (a fresh subscription), else the positions.
 */
export function parsePositions(
  lastEventId: unknown,
  channels: readonly string[],
  tag: string,
  isValidId: (id: string) => boolean,
): (string | undefined)[] | null {
  if (lastEventId === undefined || lastEventId === null || lastEventId === '') return null;
  const unknown = channels.map(() => undefined);
  if (typeof lastEventId !== 'string' || lastEventId.length > MAX_LAST_EVENT_ID_LENGTH) return unknown;
  if (channels.length === 1) return [safeIsValid(isValidId, lastEventId) ? lastEventId : undefined];
  const parts = lastEventId.split(POSITION_SEPARATOR);
  if (parts.length !== channels.length + 1 || parts[0] !== tag) return unknown;
  return parts.slice(1).map((part) => (safeIsValid(isValidId, part) ? part : undefined));
}

function safeIsValid(isValidId: (id: string) => boolean, id: string): boolean {
  try {
    return isValidId(id);
  } catch {
    // A backend whose syntax check throws has told us the id is not one of its own.
    return false;
  }
}

/**
 * What a gap signal repeats of the client's `lastEventId`: the value if it is a short string, else
 * a bounded prefix, so that a hostile id is never echoed in full.
 */
export function describeLastEventId(lastEventId: unknown): string | null {
  if (typeof lastEventId !== 'string') return lastEventId === undefined || lastEventId === null ? null : `<${typeof lastEventId}>`;
  return lastEventId.length <= 200 ? lastEventId : `${lastEventId.slice(0, 200)}…`;
}
