// NestJS @Sse on express. The decorators are applied as plain function calls (the same calls a
// TypeScript compiler emits for them), so no build step is needed. The broadcast route maps a shared
// Subject; the seed route is NestJS's documented interval(1000) example.
import 'reflect-metadata';
import { Controller, Module, Sse } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Observable, Subject, interval, map } from 'rxjs';
import { runServer, makePayload } from './harness.mjs';

const subject = new Subject();
let count = 0;

class BenchController {
  broadcast() {
    return new Observable((subscriber) => {
      count++;
      const sub = subject.subscribe(subscriber);
      return () => { count--; sub.unsubscribe(); };
    });
  }
  seed() {
    return new Observable((subscriber) => {
      count++;
      let seq = 0;
      const sub = interval(1000).pipe(map(() => ({ data: makePayload(seq++, 100, 0) }))).subscribe(subscriber);
      return () => { count--; sub.unsubscribe(); };
    });
  }
}
for (const name of ['broadcast', 'seed']) {
  const desc = Object.getOwnPropertyDescriptor(BenchController.prototype, name);
  Sse(name)(BenchController.prototype, name, desc);
  Object.defineProperty(BenchController.prototype, name, desc);
}
Controller()(BenchController);
class AppModule {}
Module({ controllers: [BenchController] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });

await runServer({
  async start() {
    await app.listen(0, '127.0.0.1');
    return app.getHttpServer().address().port;
  },
  subscribers: () => count,
  publish(payload) {
    subject.next({ data: payload });
  },
});
