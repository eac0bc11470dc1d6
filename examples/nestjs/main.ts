// A Nest app on the express adapter (NEST_ADAPTER=fastify: on the fastify adapter).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Hub } from 'eventide';
import { AppModule } from './app.module.js';

async function createApp() {
  if (process.env.NEST_ADAPTER === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return NestFactory.create(AppModule, new FastifyAdapter());
  }
  return NestFactory.create(AppModule);
}

const app = await createApp();
app.enableCors({ origin: 'https://app.example' }); // applies to eventide's streams on both adapters
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
console.log(`listening on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`);

const hub = app.get(Hub);
setInterval(() => void hub.publish('lobby', { data: { at: Date.now() } }), 500).unref();
