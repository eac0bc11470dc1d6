// The publish request of both drafts: an `application/x-www-form-urlencoded` body with `topic`
// (draft-07: one or more; draft-08: exactly one), `data`, `private`, `id`, `type`, `retry`.
import { randomUUID } from 'node:crypto';
import { isCleanTopic } from './selectors.js';
import { badRequest, Refusal } from './refusal.js';
import type { Update } from './update.js';

/** Bounds of a publish request. */
export interface PublishLimits {
  readonly maxTopics: number;
  readonly maxTopicLength: number;
  readonly maxIdLength: number;
}

/** Reads the form body, whatever shape the router handed it in (text or bytes). */
export function formOf(body: unknown, contentType: string | undefined): URLSearchParams {
  if (!(contentType ?? '').toLowerCase().includes('application/x-www-form-urlencoded')) {
    throw new Refusal(400, 'publish with a Content-Type of application/x-www-form-urlencoded');
  }
  if (body === undefined) return new URLSearchParams();
  if (typeof body === 'string') return new URLSearchParams(body);
  if (body instanceof Uint8Array) return new URLSearchParams(Buffer.from(body).toString('utf8'));
  throw badRequest('the publish body could not be read as a form');
}

/**
 * True when a topic falls in the hub's reserved namespace: resolved against the hub's URL, its
 * path is `/.well-known/mercure` or below ([draft-08] Publication). Only the hub publishes there.
 */
export function isReservedTopic(topic: string, base: string): boolean {
  let path: string;
  try {
    path = new URL(topic, base).pathname;
  } catch {
    return false;
  }
  return path === '/.well-known/mercure' || path.startsWith('/.well-known/mercure/');
}

/** Validates a publish form and builds the update (its id generated when absent). */
export function updateFromForm(form: URLSearchParams, limits: PublishLimits, base: string): Update {
  const topics = form.getAll('topic');
  if (topics.length === 0) throw badRequest('publish needs at least one `topic` field');
  if (topics.length > limits.maxTopics) throw new Refusal(413, `an update may have at most ${limits.maxTopics} topics`);
  for (const topic of topics) {
    if (topic.length === 0) throw badRequest('a `topic` must not be empty');
    if (topic.length > limits.maxTopicLength) throw new Refusal(413, `a topic may be at most ${limits.maxTopicLength} characters long`);
    if (!isCleanTopic(topic)) throw badRequest('a topic must not contain control characters');
    if (topic === '*') throw badRequest('`*` is the wildcard selector, not a topic');
    if (isReservedTopic(topic, base)) throw new Refusal(403, 'topics under /.well-known/mercure are reserved for the hub');
  }
  let id = form.get('id');
  if (id !== null) {
    if (id.length === 0) id = null;
    else {
      if (id.startsWith('#')) throw badRequest('an update id must not start with `#`');
      if (/[\r\n\0]/.test(id)) throw badRequest('an update id must not contain CR, LF or NUL');
      if (id.length > limits.maxIdLength) throw new Refusal(413, `an update id may be at most ${limits.maxIdLength} characters long`);
      if (id === 'earliest') throw badRequest('`earliest` is a reserved id');
    }
  }
  const type = form.get('type');
  if (type !== null && /[\r\n]/.test(type)) throw badRequest('`type` must not contain CR or LF');
  const retryText = form.get('retry');
  let retry: number | undefined;
  if (retryText !== null) {
    if (!/^[0-9]{1,15}$/.test(retryText)) throw badRequest('`retry` must be ASCII digits only');
    retry = Number(retryText);
  }
  return {
    id: id ?? `urn:uuid:${randomUUID()}`,
    topics,
    data: form.get('data') ?? '',
    private: form.has('private'),
    type: type === null || type === '' ? undefined : type,
    retry,
  };
}
