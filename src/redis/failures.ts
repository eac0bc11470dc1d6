// What went wrong with Redis, told as an eventide error: which code, what Redis answered, what to do.
//
// Two kinds of failure look alike from far away and must not be confused: Redis cannot be reached
// (refused, closed, timed out, hung), and Redis answered with an error reply (WRONGTYPE, NOAUTH,
// NOPERM, OOM, ...). The first is an outage that passes by itself; the second usually needs someone
// to change a setting or a key, and its message says which.
import { EventideError, type EventideErrorCode } from '../errors.js';

/** What the backend was doing when Redis failed. */
export type Operation = 'publish' | 'read' | 'follow' | 'connect';

/** Where the failure happened, for the message. */
export interface FailureContext {
  /** Where Redis was expected (`host:port` or a socket path; never credentials). */
  readonly where: string;
  /** The channel concerned, if one. */
  readonly channel?: string | undefined;
  /** Its Redis key. */
  readonly key?: string | undefined;
}

/**
 * Error replies that mean "not now" rather than "not like this": Redis is loading its data, busy
 * with a long script, or a replica without its primary. They pass without anyone acting.
 */
const TRANSIENT = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN']);

/** The error reply code (`WRONGTYPE`, `NOAUTH`, ...) of a failure, or undefined for one that is not a reply. */
export function replyCode(cause: unknown): string | undefined {
  if (!(cause instanceof Error) || cause.name !== 'ReplyError') return undefined;
  const message = cause.message;
  // Redis 6.2 wraps errors raised inside a script: "ERR Error running script (...): @user_script:3: WRONGTYPE ...".
  const inScript = /@user_script:\d+: ([A-Z][A-Z_-]+) /.exec(message);
  if (inScript !== null) return inScript[1];
  const first = /^([A-Z][A-Z_-]+)\b/.exec(message);
  return first === null ? 'ERR' : first[1];
}

/** True for an error reply that concerns one key only: the other channels are not affected. */
export function isKeyError(cause: unknown): boolean {
  return replyCode(cause) === 'WRONGTYPE';
}

/** True for a failure that passes by itself (an outage, or a transient error reply). */
export function isTransient(cause: unknown): boolean {
  const code = replyCode(cause);
  return code === undefined || TRANSIENT.has(code);
}

/**
 * The eventide error for a Redis failure during `operation`.
 *
 * Codes: a publish always fails with `EVENTIDE_PUBLISH_FAILED` (the contract of `append`). Anything
 * else fails with `EVENTIDE_BACKEND_UNAVAILABLE` when Redis cannot be reached or answered a
 * transient error (LOADING, BUSY, ...), and with `EVENTIDE_BACKEND_REJECTED` when it answered an
 * error that someone must fix (WRONGTYPE, NOAUTH, WRONGPASS, NOPERM, OOM, READONLY, ...).
 */
export function redisFailure(operation: Operation, cause: unknown, context: FailureContext): EventideError {
  const reply = replyCode(cause);
  // Redis 7 appends where in a script an error was raised: noise for the reader of the message.
  const reason = (cause instanceof Error ? cause.message : String(cause ?? 'not connected'))
    .replace(/ script: [0-9a-f]{40}, on @user_script:\d+\.?$/, '');
  let code: EventideErrorCode;
  if (operation === 'publish') code = 'EVENTIDE_PUBLISH_FAILED';
  else if (reply === undefined || TRANSIENT.has(reply)) code = 'EVENTIDE_BACKEND_UNAVAILABLE';
  else code = 'EVENTIDE_BACKEND_REJECTED';

  const subject = context.channel === undefined ? '' : `channel ${JSON.stringify(context.channel)}: `;
  const lead =
    operation === 'publish'
      ? reply === undefined
        ? 'the event was not published (Redis may or may not have stored it; publish again if it must arrive)'
        : // The script's first write is its XADD; an error before it stores nothing. (Only an ACL that
          // forbids XTRIM or PEXPIRE but allows XADD could fail after it.)
          'the event was not published (Redis answered with an error)'
      : operation === 'connect'
        ? 'Redis cannot be used'
        : operation === 'read'
          ? 'reading failed'
          : 'live delivery paused';
  const text =
    reply === undefined
      ? `${subject}${lead}: Redis at ${context.where} cannot be reached: ${trimDot(reason)}. ` +
        'Check that Redis runs and is reachable from this process; eventide reconnects by itself.'
      : `${subject}${lead}: Redis at ${context.where} answered ${JSON.stringify(trimDot(reason))}. ${advice(reply, operation, context)}`;
  return new EventideError(code, text, { cause });
}

/** What to do about an error reply, in one or two sentences. */
function advice(reply: string, operation: Operation, context: FailureContext): string {
  switch (reply) {
    case 'WRONGTYPE':
      return context.key === undefined
        ? 'A key eventide uses holds a value that is not a stream: something else wrote it. Delete it, or give eventide its own keyPrefix.'
        : `The key ${JSON.stringify(context.key)} holds a value that is not a stream: something other than eventide ` +
            'wrote it. Delete that key (or give eventide its own keyPrefix)' +
            (operation === 'follow'
              ? '; live delivery of this channel resumes by itself once the key is gone or a stream again, the other channels are not affected.'
              : '.');
    case 'NOAUTH':
      return 'Redis requires a password: give it in the URL (redis://:password@host:port or redis://user:password@host:port) or in redisOptions.';
    case 'WRONGPASS':
      return 'Redis refused the user name or password: check the credentials in the URL or redisOptions.';
    case 'NOPERM':
      return 'The Redis user lacks a permission eventide needs: allow EVAL, EVALSHA, XADD, XREAD, XRANGE, XREVRANGE, ' +
        'XINFO, XTRIM, PEXPIRE, EXISTS, TIME, DEL, MULTI, EXEC, INFO and CLIENT on the keys of its keyPrefix (ACL SETUSER).';
    case 'OOM':
      return 'Redis reached maxmemory and refuses writes: raise maxmemory, or lower history bounds or followWindow.';
    case 'READONLY':
      return 'This Redis is a read-only replica: point the backend at the primary (with Sentinel, through the client option).';
    case 'MISCONF':
      return 'Redis cannot save to disk and refuses writes until it can: check its disk and its log.';
    case 'LOADING':
      return 'Redis is loading its data set after a restart; eventide retries until it is done.';
    case 'BUSY':
      return 'A long-running script blocks Redis; eventide retries. SCRIPT KILL or FUNCTION KILL ends it.';
    case 'MASTERDOWN':
      return 'This replica lost its primary; eventide retries. Point the backend at the primary.';
    case 'TRYAGAIN':
    case 'CLUSTERDOWN':
    case 'MOVED':
    case 'ASK':
    case 'CROSSSLOT':
      return 'eventide does not support Redis Cluster yet: use a standalone Redis (with Sentinel for failover).';
    default:
      return 'Check the Redis version (7.0 or later) and its configuration; the message above is what Redis said.';
  }
}

function trimDot(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1) : text;
}
