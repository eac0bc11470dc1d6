// Where each channel lives in Redis. Channel names come from users (a URL segment, a room name),
// so they are validated and escaped before they become part of a key.
import { EventideError } from '../errors.js';

/** Longest channel name the Redis backend accepts, in UTF-16 code units. */
export const MAX_CHANNEL_LENGTH = 1024;

// With the u flag a surrogate pair is one code point, so only unpaired halves match.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Default key prefix: every key the backend writes starts with it. */
export const DEFAULT_KEY_PREFIX = 'eventide:';

/**
 * Throws `EVENTIDE_INVALID_CHANNEL` unless `channel` is a non-empty, well-formed string of at most
 * {@link MAX_CHANNEL_LENGTH} code units.
 */
export function assertChannel(channel: unknown): asserts channel is string {
  if (typeof channel !== 'string' || channel.length === 0 || channel.length > MAX_CHANNEL_LENGTH) {
    throw new EventideError(
      'EVENTIDE_INVALID_CHANNEL',
      `a channel name is a non-empty string of at most ${MAX_CHANNEL_LENGTH} characters, ` +
        `got ${describe(channel)}`,
    );
  }
  if (LONE_SURROGATE.test(channel)) {
    throw new EventideError(
      'EVENTIDE_INVALID_CHANNEL',
      'a channel name must be well-formed Unicode (it contains a lone surrogate)',
    );
  }
}

/**
 * The Redis key of a channel's stream: `<prefix>ch:<percent-encoded channel>`.
 *
 * Percent-encoding is injective, and its output holds no `:`, `{`, `}` or spaces, so no channel
 * name can produce another channel's key, step outside the prefix, or pick a Redis Cluster hash
 * slot through a `{tag}`.
 */
export function channelKey(prefix: string, channel: string): string {
  assertChannel(channel);
  return `${prefix}ch:${encodeURIComponent(channel)}`;
}

/** Throws `EVENTIDE_INVALID_OPTION` unless `prefix` is a usable key prefix. */
export function assertKeyPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix.length > 256 || LONE_SURROGATE.test(prefix)) {
    throw new EventideError(
      'EVENTIDE_INVALID_OPTION',
      `redisBackend option \`keyPrefix\` must be a well-formed string of at most 256 characters, got ${describe(prefix)}`,
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  return value === null ? 'null' : typeof value;
}
