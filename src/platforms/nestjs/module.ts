// EventideModule: eventide in a Nest app. Provides the Hub and EventideStreams through DI; with
// eventide controllers given, serves them too.
import { Global, Inject, Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { Hub } from '../../hub/hub.js';
import { EventideStreamInterceptor } from './sse.js';
import { EVENTIDE_OPTIONS, EventideStreams, type EventideModuleOptions } from './streams.js';

/**
 * Import `EventideModule.forRoot()` once, in the root module. It is global: every module can
 * inject `Hub` and `EventideStreams`, and use `@EventideSse` routes.
 *
 * @example
 * ```ts
 * @Module({ imports: [EventideModule.forRoot({ heartbeatMs: 10_000 })], controllers: [NewsController] })
 * export class AppModule {}
 * ```
 */
export class EventideModule implements NestModule {
  readonly #streams: EventideStreams;

  constructor(streams: EventideStreams) {
    this.#streams = streams;
  }

  static forRoot(options: EventideModuleOptions = {}): DynamicModule {
    return {
      module: EventideModule,
      global: true,
      providers: [
        { provide: EVENTIDE_OPTIONS, useValue: options },
        { provide: Hub, useFactory: () => options.hub ?? new Hub({ ...options.hubOptions, backend: options.backend }) },
        EventideStreams,
        EventideStreamInterceptor,
      ],
      exports: [Hub, EventideStreams, EventideStreamInterceptor],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    if (this.#streams.servesControllers) consumer.apply(this.#streams.middleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
Inject(EventideStreams)(EventideModule, undefined, 0);
Module({})(EventideModule);
Global()(EventideModule);
