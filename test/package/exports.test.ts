// The public surface, entry point by entry point: a change here is a change of the API and must be
// deliberate. Runs against the built package through its own name (self-reference), as users import it.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const expected: Record<string, string[]> = {
  eventide: [
    'ANCHOR_EVENT_TYPE', 'Body', 'Controller', 'Ctx', 'Delete', 'EventideError', 'GAP_EVENT_TYPE', 'Get', 'Head',
    'Headers', 'Hub', 'LastEventId', 'MemoryBackend', 'Options', 'Param', 'Patch', 'Post', 'Put', 'Query', 'Req',
    'Res', 'STREAM_ERROR_EVENT', 'Signal', 'Sse', 'UseGuards', 'createApp', 'createMemoryBackend', 'encodeComment', 'encodeEvent',
    'file', 'healthController', 'httpError', 'hubReadiness', 'isAnchor', 'isEventideError',
  ],
  'eventide/client': ['EventSource', 'events', 'fromEventSource', 'isGap'],
  'eventide/protocol': ['createParser', 'encodeComment', 'encodeEvent'],
  'eventide/redis': ['redisBackend'],
  'eventide/metrics': ['createMetrics', 'metricsController'],
  'eventide/mercure': ['compileSelector', 'createMercureHub'],
  'eventide/express': ['eventide'],
  'eventide/fastify': ['eventide'],
  'eventide/nestjs': ['EVENTIDE_OPTIONS', 'EventideModule', 'EventideSse', 'EventideStreamInterceptor', 'EventideStreams'],
  'eventide/web': ['createFetchHandler'],
};

for (const [entry, names] of Object.entries(expected)) {
  test(`${entry} exports exactly its public names`, async () => {
    const mod = await import(entry);
    assert.deepEqual(Object.keys(mod).sort(), [...names].sort());
  });
}
