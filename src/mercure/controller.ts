// The routes of the hub, mounted at /.well-known/mercure in any eventide app, and its protected
// resource metadata at /.well-known/oauth-protected-resource/.well-known/mercure (draft-08).
import { Controller, Get, Options, Post, Sse, type RequestContext } from '../index.js';
import type { MercureCore } from './core.js';

/** Builds the controller instance that serves the Mercure endpoints of `core`. */
export function mercureController(core: MercureCore): object {
  @Controller('.well-known')
  class MercureController {
    @Sse('mercure')
    subscribe(ctx: RequestContext) {
      return core.subscribe(ctx);
    }

    @Post('mercure')
    publish(ctx: RequestContext) {
      return core.publish(ctx);
    }

    @Options('mercure')
    preflight(ctx: RequestContext) {
      core.preflight(ctx);
    }

    @Get('oauth-protected-resource/.well-known/mercure')
    metadata(ctx: RequestContext) {
      return core.metadata(ctx);
    }

    @Get('mercure/subscriptions')
    all(ctx: RequestContext) {
      return core.subscriptions(ctx, []);
    }

    @Get('mercure/subscriptions/:a')
    bySelector(ctx: RequestContext) {
      return core.subscriptions(ctx, [ctx.params.a!]);
    }

    @Get('mercure/subscriptions/:a/:b')
    byTwo(ctx: RequestContext) {
      return core.subscriptions(ctx, [ctx.params.a!, ctx.params.b!]);
    }

    @Get('mercure/subscriptions/:a/:b/:c')
    byThree(ctx: RequestContext) {
      return core.subscriptions(ctx, [ctx.params.a!, ctx.params.b!, ctx.params.c!]);
    }

    @Options('mercure/subscriptions')
    preflightAll(ctx: RequestContext) {
      core.preflight(ctx);
    }

    @Options('mercure/subscriptions/:a')
    preflightOne(ctx: RequestContext) {
      core.preflight(ctx);
    }

    @Options('mercure/subscriptions/:a/:b')
    preflightTwo(ctx: RequestContext) {
      core.preflight(ctx);
    }

    @Options('mercure/subscriptions/:a/:b/:c')
    preflightThree(ctx: RequestContext) {
      core.preflight(ctx);
    }
  }
  return new MercureController();
}
