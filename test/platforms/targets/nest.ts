// NestJS on express and on fastify as PlatformTargets. eventide controllers are served through
// EventideModule.forRoot({ controllers }); Nest controllers with @EventideSse come from the test.
// Nest's decorators are applied by hand (`decorate`), so this runs under tsx, whose TypeScript
// has standard decorators on; the README example is compiled with tsc in nestjs-example.test.ts.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventideModule, EventideStreams, type EventideModuleOptions } from '../../../src/platforms/nestjs/index.js';
import type { PlatformTarget, RunningTarget, TargetAppOptions } from '../target.js';

export type NestAdapterName = 'express' | 'fastify';

/** Applies legacy decorators the way TypeScript's emitted code does: to a class, or to a method. */
export function decorate(target: object, key: string | undefined, decorators: ((...args: any[]) => unknown)[]): void {
  if (key === undefined) {
    for (const d of [...decorators].reverse()) d(target);
    return;
  }
  let descriptor = Object.getOwnPropertyDescriptor(target, key)!;
  for (const d of [...decorators].reverse()) descriptor = (d(target, key, descriptor) as PropertyDescriptor | undefined) ?? descriptor;
  Object.defineProperty(target, key, descriptor);
}

export interface NestSetup {
  controllers?: Function[];
  providers?: unknown[];
  configure?: (app: INestApplication) => void | Promise<void>;
  module?: EventideModuleOptions;
}

export async function startNest(adapter: NestAdapterName, options: Partial<TargetAppOptions>, setup: NestSetup = {}): Promise<RunningTarget & { app: INestApplication }> {
  class AppModule {}
  Module({
    imports: [EventideModule.forRoot({ ...(options as EventideModuleOptions), ...setup.module })],
    controllers: (setup.controllers ?? []) as never[],
    providers: (setup.providers ?? []) as never[],
  })(AppModule);
  const app = await NestFactory.create(AppModule, adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), { logger: false, abortOnError: false });
  await setup.configure?.(app);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    stats: app.get(EventideStreams).stats,
    request: (path, init) => fetch(url + path, init),
    close: () => app.close(),
  };
}

export function nestTarget(adapter: NestAdapterName): PlatformTarget {
  return { name: `nestjs/${adapter}`, start: (options) => startNest(adapter, options) };
}
