// eventide's own signals on the wire, as the client reads them. Browser-safe: no `node:` imports.
import { EventideError, type EventideErrorCode } from '../errors.js';

/** The event type an eventide server ends a failed stream with; its data is `{ code, message }`. */
export const ERROR_EVENT = 'eventide-error';
/** The event type of a hub's gap signal; its data is `{ channels, lastEventId }`. */
export const GAP_EVENT = 'eventide-gap';

/** The data of a gap signal: the channels whose events after `lastEventId` could not be replayed. */
export interface GapData {
  /** The channels concerned; on a multi-channel stream the others replayed normally. */
  readonly channels: readonly string[];
  /** The `Last-Event-ID` the client resumed from (at most 200 characters), or the position before a loss. */
  readonly lastEventId: string;
}

/**
 * The error an `eventide-error` event stands for: the server's `code` and `message` when the data
 * carries them (`EVENTIDE_STREAM_FAILED` for a handler failure, `EVENTIDE_HTTP` for an `httpError`),
 * `EVENTIDE_STREAM_FAILED` with the raw text otherwise.
 */
export function serverError(data: string, url: string): EventideError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const parsed: unknown = JSON.parse(data);
    if (parsed !== null && typeof parsed === 'object') {
      const fields = parsed as { code?: unknown; message?: unknown };
      if (typeof fields.code === 'string' && fields.code !== '') code = fields.code;
      if (typeof fields.message === 'string') message = fields.message;
    }
  } catch {
    // not JSON: reported as text below
  }
  const text = message ?? `the server ended the stream with ${ERROR_EVENT}: ${data.slice(0, 200)}`;
  // The code is the server's: eventide's servers send codes of EventideErrorCode; another server's
  // code is passed on as it is, so that callers can still branch on it.
  return new EventideError((code ?? 'EVENTIDE_STREAM_FAILED') as EventideErrorCode, text, { status: 502, expose: true, cause: { url, data } });
}

/** Reads a gap signal's data; a malformed one still counts as a gap of unknown channels. */
export function gapData(data: string): GapData {
  try {
    const parsed = JSON.parse(data) as { channels?: unknown; lastEventId?: unknown };
    const channels = Array.isArray(parsed.channels) ? parsed.channels.filter((c): c is string => typeof c === 'string') : [];
    const lastEventId = typeof parsed.lastEventId === 'string' ? parsed.lastEventId : '';
    return Object.freeze({ channels: Object.freeze(channels), lastEventId });
  } catch {
    return Object.freeze({ channels: Object.freeze([] as string[]), lastEventId: '' });
  }
}
