// A Nest controller: Nest's own @Sse (the seed example, unchanged) beside @EventideSse routes.
import { Controller, Headers, Param, Sse, UseGuards, type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Observable, interval, map } from 'rxjs';
import { Hub, type MessageEvent } from 'eventide';
import { EventideSse } from 'eventide/nestjs';

@Injectable()
export class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    return req.headers.authorization === 'Bearer demo'; // false: Nest answers 403, no stream opens
  }
}

@Controller()
export class NewsController {
  constructor(private readonly hub: Hub) {}

  // Nest's documented example, as it was: still served by Nest.
  @Sse('sse')
  sse(): Observable<MessageEvent> {
    return interval(1000).pipe(map((_) => ({ data: { hello: 'world' } })));
  }

  // The same route through eventide: bounded queue, heartbeats, spec-exact encoding.
  @EventideSse('ticks')
  ticks(): Observable<MessageEvent> {
    return interval(1000).pipe(map((_) => ({ data: { hello: 'world' } })));
  }

  // A resumable room from the Hub (injected), behind a guard.
  @EventideSse('rooms/:room')
  @UseGuards(TokenGuard)
  room(@Param('room') room: string, @Headers('last-event-id') lastEventId?: string) {
    return this.hub.subscribe(room, { lastEventId });
  }
}
