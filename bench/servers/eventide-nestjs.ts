// A Nest controller (express adapter) streaming the hub through @EventideSse from eventide/nestjs.
// Nest's decorators are applied as the calls a compiler emits for them (this file is transpiled
// with standard decorators), as in nestjs.mjs.
import 'reflect-metadata';
import { Controller, Headers, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { interval, map } from 'rxjs';
import { Hub } from '../../dist/index.js';
import { EventideModule, EventideSse, EventideStreams } from '../../dist/platforms/nestjs/index.js';
import { runServer, makePayload, type Payload } from './harness.mjs';

class BenchController {
  constructor(readonly hub: Hub) {}

  broadcast(lastEventId?: string) {
    return this.hub.subscribe('bench', { lastEventId });
  }

  seed() {
    let seq = 0;
    return interval(1000).pipe(map(() => ({ data: makePayload(seq++, 100, 0) })));
  }
}
Headers('last-event-id')(BenchController.prototype, 'broadcast', 0);
for (const name of ['broadcast', 'seed'] as const) {
  const desc = Object.getOwnPropertyDescriptor(BenchController.prototype, name)!;
  EventideSse(name)(BenchController.prototype, name, desc);
  Object.defineProperty(BenchController.prototype, name, desc);
}
Inject(Hub)(BenchController, undefined, 0);
Controller()(BenchController);
class AppModule {}
Module({ imports: [EventideModule.forRoot()], controllers: [BenchController] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
const streams = app.get(EventideStreams);
const hub = app.get(Hub);

await runServer({
  async start() {
    await app.listen(0, '127.0.0.1');
    return app.getHttpServer().address().port;
  },
  subscribers: () => streams.stats.openStreams,
  publish(payload: Payload) {
    return hub.publish('bench', { data: payload });
  },
});
