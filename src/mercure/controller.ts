// The routes of the hub, mounted at /.well-known/mercure in any eventide app.
import { Controller, Get, Options, Post, Sse, type RequestContext } from '../index.js';
import type { MercureCore } from './core.js';

/** Builds the controller instance that serves the Mercure endpoints of `core`. */
export function mercureController(core: MercureCore): object {
  @Controller('.well-known/mercure')
  class MercureController {
    @Sse()
    subscribe(ctx: RequestContext) {
      return core.subscribe(ctx);
    }

    @Post()
    publish(ctx: RequestContext) {
      return core.publish(ctx);
    }

    @Options()
    preflight(ctx: RequestContext) {
      core.preflight(ctx);
    }

    @Get('subscriptions')
    all(ctx: RequestContext) {
      return core.subscriptions(ctx, []);
    }

    @Get('subscriptions/:a')
    bySelector(ctx: RequestContext) {
      return core.subscriptions(ctx, [ctx.params.a!]);
    }

    @Get('subscriptions/:a/:b')
    byTwo(ctx: RequestContext) {
      return core.subscriptions(ctx, [ctx.params.a!, ctx.params.b!]);
    }

    @Get('subscriptions/:a/:b/:c')
    byThree(ctx: RequestContext) {
      return core.subscriptions(ctx, [ctx.params.a!, ctx.params.b!, ctx.params.c!]);
    }

    @Options('subscriptions')
    preflightAll(ctx: RequestContext) {
      core.preflight(ctx);
    }

    @Options('subscriptions/:a')
    preflightOne(ctx: RequestContext) {
      core.preflight(ctx);
    }

    @Options('subscriptions/:a/:b')
    preflightTwo(ctx: RequestContext) {
      core.preflight(ctx);
    }

    @Options('subscriptions/:a/:b/:c')
    preflightThree(ctx: RequestContext) {
      core.preflight(ctx);
    }
  }
  return new MercureController();
}
