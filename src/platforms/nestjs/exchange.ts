// A Nest request whose stream eventide writes: Node's req/res under either Nest adapter, with the
// moment the stream opens (or fails before opening) reported back to the Nest request pipeline.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sink } from '../../connection/sink.js';
import { NodeExchange } from '../node/exchange.js';

/** The part of Fastify's reply the Nest fastify adapter hands over. */
export interface FastifyLikeReply {
  raw: ServerResponse;
  statusCode: number;
  getHeaders(): Record<string, unknown>;
  hijack(): unknown;
}

export function isFastifyReply(res: unknown): res is FastifyLikeReply {
  return typeof res === 'object' && res !== null && typeof (res as Partial<FastifyLikeReply>).hijack === 'function' && typeof (res as Partial<FastifyLikeReply>).raw === 'object';
}

/** What the stream tells the request pipeline. */
export interface StreamSignals {
  /** The head is about to go out: the stream is open. */
  opened(): void;
  /** The stream failed before it opened: nothing was written; Nest's exception filters answer. */
  failed(err: unknown): void;
  /** The response closed (the client left before the stream opened, or the stream ended). */
  closed(): void;
}

const STREAM_HEADERS = ['content-type', 'cache-control', 'x-accel-buffering'];

/**
 * A Nest request whose stream eventide writes. Like every node:http exchange it is its own sink;
 * opening and failing the stream also tell the Nest request pipeline.
 */
export class NestExchange extends NodeExchange {
  readonly #reply: FastifyLikeReply | undefined;
  readonly #signals: StreamSignals;

  constructor(req: IncomingMessage, res: ServerResponse, reply: FastifyLikeReply | undefined, signals: StreamSignals) {
    super(req, res);
    this.#reply = reply;
    this.#signals = signals;
  }

  override openSink(): Sink {
    const signals = this.#signals;
    this.res.once('close', () => signals.closed());
    return super.openSink();
  }

  override open(first?: Uint8Array): void {
    const reply = this.#reply;
    const res = this.res;
    if (reply) {
      // Headers Fastify hooks set (@fastify/cors, `app.enableCors()`, @Header()) live on the reply
      // until Fastify sends it; eventide sends the stream itself, so they are carried over.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined && !res.hasHeader(name)) res.setHeader(name, value as string | number | string[]);
      }
      reply.hijack();
    }
    super.open(first);
    this.#signals.opened();
  }

  override fail(err: unknown): void {
    // The stream's own headers do not fit the error Nest answers with; the others (CORS) stay.
    if (!this.res.headersSent) for (const name of STREAM_HEADERS) this.res.removeHeader(name);
    this.#signals.failed(err);
  }
}

/** A request seen by Nest middleware: adapters strip the matched path from `req.url`, `originalUrl` keeps it. */
export class MiddlewareExchange extends NodeExchange {
  readonly #target: string;

  constructor(req: IncomingMessage, res: ServerResponse, target: string, parsedBody: { value: unknown } | undefined) {
    super(req, res, parsedBody);
    this.#target = target;
  }

  override get target(): string {
    return this.#target;
  }
}
