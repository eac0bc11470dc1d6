// @EventideSse: a Nest route whose result eventide streams. Nest's guards, pipes, interceptors and
// exception filters run as for any route; what the handler returns goes, as it is, to eventide's
// connection.
import { Get, HttpException, Inject, Injectable, Optional, Res, UseInterceptors, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { STATUS_CODES } from 'node:http';
import { catchError, from, mergeMap, throwError, type Observable } from 'rxjs';
import { EventideError } from '../../errors.js';
import type { StreamOptions } from '../../connection/options.js';
import { resolveStreamOptions } from '../../connection/options.js';
import { EventideStreams, missingModule } from './streams.js';

const ROUTE = Symbol('eventide:sse-route');

/** What an @EventideSse handler returned, kept whole: Nest would otherwise unwrap an Observable into its values. */
class HandlerResult {
  constructor(readonly value: unknown) {}
}

interface MarkedHandler {
  [ROUTE]?: { options: StreamOptions | undefined };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

declare const Reflect: typeof globalThis.Reflect & {
  getMetadataKeys?(target: object): unknown[];
  getOwnMetadataKeys?(target: object): unknown[];
  getOwnMetadata?(key: unknown, target: object, property?: string | symbol): unknown;
  getMetadata?(key: unknown, target: object, property?: string | symbol): unknown;
  defineMetadata?(key: unknown, value: unknown, target: object): void;
};

/**
 * eventide's refusals (a stream limit's 503, a 4xx of `httpError`) as Nest's HttpException, so
 * the exception filters answer their status with eventide's JSON body; other errors pass as they are.
 */
function asHttpException(err: unknown): unknown {
  if (!(err instanceof EventideError) || !err.expose) return err;
  const body = { statusCode: err.status, error: STATUS_CODES[err.status] ?? 'Error', code: err.code, message: err.message };
  return new HttpException(body, err.status, { cause: err });
}

/** Streams the result of @EventideSse routes through eventide's connection. Registered by the decorator. */
export class EventideStreamInterceptor implements NestInterceptor {
  readonly #streams: EventideStreams | undefined;

  constructor(streams: EventideStreams | undefined) {
    this.#streams = streams;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = (context.getHandler() as MarkedHandler)[ROUTE];
    if (!route || context.getType() !== 'http') return next.handle();
    const streams = this.#streams ?? missingModule();
    const http = context.switchToHttp();
    const req = http.getRequest<unknown>();
    const res = http.getResponse<unknown>();
    return next.handle().pipe(
      mergeMap((result) => from(streams.open(req, res, result instanceof HandlerResult ? result.value : result, route.options))),
      catchError((err) => throwError(() => asHttpException(err))),
    );
  }
}
Inject(EventideStreams)(EventideStreamInterceptor, undefined, 0);
Optional()(EventideStreamInterceptor, undefined, 0);
Injectable()(EventideStreamInterceptor);

/**
 * A GET route streamed by eventide: return an Observable of `MessageEvent` (as with Nest's `@Sse`),
 * a hub subscription (`hub.subscribe(...)`, resumable, on the hub's fast path), an async iterable
 * or a ReadableStream, or a Promise of one. Guards, pipes, interceptors and exception filters apply
 * as on any Nest route; an error before the stream opens goes to the exception filters (a real
 * status), one after it ends the stream with eventide's error event. Needs
 * `EventideModule.forRoot()` in the app. `options` override the module's stream options.
 *
 * @example
 * ```ts
 * @EventideSse('rooms/:room')
 * room(@Param('room') room: string, @Headers('last-event-id') lastEventId?: string) {
 *   return this.hub.subscribe(room, { lastEventId });
 * }
 * ```
 */
export function EventideSse(path?: string | string[], options?: StreamOptions): MethodDecorator {
  if (options !== undefined) resolveStreamOptions(`@EventideSse(${JSON.stringify(path ?? '')})`, options);
  return (target: object, key: string | symbol, descriptor: PropertyDescriptor) => {
    const original = descriptor.value as (...args: unknown[]) => unknown;
    const routeArgs = (Reflect.getMetadata?.(ROUTE_ARGS_METADATA, target.constructor, key) ?? {}) as Record<string, { index: number }>;
    const taken = Object.values(routeArgs).map((arg) => arg.index);
    // The response goes in one argument past the handler's own: Nest then leaves it to eventide.
    const responseIndex = Math.max(original.length, ...taken.map((i) => i + 1));
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args.slice(0, responseIndex));
      return isThenable(result) ? Promise.resolve(result).then((value) => new HandlerResult(value)) : new HandlerResult(result);
    };
    Object.defineProperty(wrapped, 'name', { value: original.name });
    // Metadata decorators below this one put on the handler (guards, interceptors, headers) stays.
    for (const metaKey of Reflect.getOwnMetadataKeys?.(original) ?? []) {
      Reflect.defineMetadata?.(metaKey, Reflect.getOwnMetadata?.(metaKey, original), wrapped);
    }
    (wrapped as MarkedHandler)[ROUTE] = { options };
    descriptor.value = wrapped;
    Res()(target, key, responseIndex);
    Get(path as string)(target, key, descriptor);
    UseInterceptors(EventideStreamInterceptor)(target, key, descriptor);
    return descriptor;
  };
}
