// The seed example, as NestJS documents it (imports aside).
import { Controller, Sse, type MessageEvent } from 'eventide';
import { Observable, interval, map } from 'rxjs';

@Controller()
export class AppController {
  @Sse('sse')
  sse(): Observable<MessageEvent> {
    return interval(1000).pipe(map((_) => ({ data: { hello: 'world' } })));
  }
}
