// Test helpers that read SSE streams from real sockets.
import { connect, type Socket } from 'node:net';
import { createParser } from '../../src/protocol/parse.js';
import type { ParsedEvent } from '../../src/protocol/types.js';

/** Opens a stream with fetch and yields parsed events. */
export async function openStream(url: string, init: RequestInit = {}, options: { keepRaw?: boolean } = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const events: ParsedEvent[] = [];
  const comments: string[] = [];
  let ended = false;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const parser = createParser({
    onEvent: (e) => {
      events.push(e);
      wake();
    },
    onComment: (c) => {
      comments.push(c);
      wake();
    },
  });
  const raw: Uint8Array[] = [];
  const done = (async () => {
    if (!response.body) return;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (options.keepRaw !== false) raw.push(chunk);
        parser.feed(chunk);
      }
    } catch {
      // aborted by the test
    } finally {
      parser.end();
      ended = true;
      wake();
    }
  })();
  /** Resolves once `predicate` holds, or rejects after `timeoutMs`. */
  const until = (predicate: () => boolean, timeoutMs = 10_000, what = 'condition') =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(events)}`)), timeoutMs);
      const check = () => {
        if (predicate()) {
          clearTimeout(timer);
          resolve();
        } else if (ended && !predicate()) {
          clearTimeout(timer);
          reject(new Error(`stream ended before ${what}; got ${JSON.stringify(events)}`));
        } else waiters.push(check);
      };
      check();
    });
  return {
    response,
    events,
    comments,
    get ended() {
      return ended;
    },
    text: () => Buffer.concat(raw).toString('utf8'),
    waitForEvents: (n: number, timeoutMs?: number) => until(() => events.length >= n, timeoutMs, `${n} events`),
    waitFor: until,
    finished: done,
    close: async () => {
      controller.abort();
      await done;
    },
  };
}

/** Sends a raw HTTP request on a fresh socket; returns the socket and everything it receives. */
export function rawRequest(port: number, request: string | Buffer, options: { read?: boolean } = {}) {
  const socket: Socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  if (options.read === false) socket.pause();
  else socket.on('data', (c) => chunks.push(c));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write(request);
  return {
    socket,
    closed,
    received: () => Buffer.concat(chunks).toString('latin1'),
    /** Resolves once the received text matches. */
    waitForText: (pattern: RegExp | string, timeoutMs = 10_000) =>
      new Promise<string>((resolve, reject) => {
        const test = () => {
          const text = Buffer.concat(chunks).toString('latin1');
          return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
        };
        if (test()) return resolve(Buffer.concat(chunks).toString('latin1'));
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${String(pattern)}; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
        }, timeoutMs);
        const onData = () => {
          if (test()) {
            cleanup();
            resolve(Buffer.concat(chunks).toString('latin1'));
          }
        };
        const onClose = () => {
          cleanup();
          if (test()) resolve(Buffer.concat(chunks).toString('latin1'));
          else reject(new Error(`socket closed before ${String(pattern)}; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          socket.off('data', onData);
          socket.off('close', onClose);
        };
        socket.on('data', onData);
        socket.on('close', onClose);
      }),
  };
}

/** Polls `predicate` (on each turn of the event loop) until it holds or the deadline passes. */
export async function eventually(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
