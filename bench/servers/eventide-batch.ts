// Experiment, not a product route: what eventide's connection layer delivers when each connection is
// handed ONE event per burst whose frame is the whole burst, encoded and joined once (what a hub that
// batches per turn would do). Uses the internal frame cache (dist/protocol/frames.js) on purpose.
import { Controller, Sse, createApp } from '../../dist/index.js';
import { frameOf, setFrame } from '../../dist/protocol/frames.js';
import { Subject } from 'rxjs';
import { runServer, type Payload } from './harness.mjs';

const subject = new Subject<{ data: unknown }>();

@Controller()
class BenchController {
  @Sse('broadcast')
  broadcast() {
    return subject;
  }
}

const app = createApp({ controllers: [new BenchController()] });

function batchEvent(payloads: Payload[]) {
  const frames = payloads.map((p) => frameOf(Object.freeze({ data: p })));
  const event = Object.freeze({ data: '' });
  setFrame(event, Buffer.concat(frames));
  return event;
}

await runServer({
  async start() {
    const address = await app.listen(0, '127.0.0.1');
    return address.port;
  },
  subscribers: () => app.stats.openStreams,
  publish(payload: Payload) {
    subject.next(batchEvent([payload]));
  },
  publishMany(payloads: Payload[]) {
    subject.next(batchEvent(payloads));
  },
});
