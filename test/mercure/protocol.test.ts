// The Mercure protocol against a hub in this process: publish, subscribe, private updates,
// resume, subscriptions, CORS and errors. The first suite ports the cases of Mercure's own
// conformance tests (conformance-tests/mercure.spec.ts of the dunglas/mercure repository) to a
// Node client; browser.test.ts runs them in Chromium.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { openStream } from '../support/sse-client.js';
import { conformanceCases, matchParam } from './conformance-cases.js';
import { HUB_PATH, publish, publishOk, sign, startHub, subscribeUrl } from './helpers.js';

const rand = () => randomBytes(12).toString('hex');

/** A topic the selector matches, for a public marker published after an update that must not arrive. */
function markerFor(selector: string): string {
  return selector.replace(/\{[^}]*\}/, 'marker').replace(/:[A-Za-z_]\w*/, 'marker');
}

/** The subscribe URL of a suite version: `topic=` (07) or the `match*` parameters (08). */
function conformanceUrl(base: string, version: '07' | '08', selectors: string[]): string {
  if (version === '07') return subscribeUrl(base, selectors);
  const url = new URL(`${base}${HUB_PATH}`);
  for (const s of selectors) url.searchParams.append(matchParam(s), s);
  return url.href;
}

for (const version of ['07', '08'] as const) {
  describe(`draft-${version} conformance cases (ported from Mercure conformance-tests/mercure.spec.ts)`, () => {
    let hub: Awaited<ReturnType<typeof startHub>>;
    let token: string;
    before(async () => {
      hub = await startHub();
      // The 07 suite's token lists selector strings, the 08 suite's { match } objects.
      token = await sign({ mercure: version === '07' ? { publish: ['*'], subscribe: ['*'] } : { publish: [{ match: '*' }], subscribe: [{ match: '*' }] } });
    });
    after(() => hub.close());

    for (const c of conformanceCases(version)) {
      test(c.name, async () => {
        const id = `id-${JSON.stringify(c.topics)}`;
        const data = `data for\n\n        ${c.name}`;
        const stream = await openStream(conformanceUrl(hub.url, version, c.selectors));
        try {
          assert.equal(stream.response.status, 200);
          assert.match(stream.response.headers.get('content-type') ?? '', /^text\/event-stream/);
          const fields: Record<string, string | string[]> = { topic: c.topics, id, data };
          if (c.private) fields.private = 'on';
          const res = await publish(hub.url, fields, token);
          assert.equal(res.status, 200);
          assert.match(res.headers.get('content-type') ?? '', /^text\/plain(?:$|;.*)/);
          assert.equal(await res.text(), id); // CUSTOM_ID=1: the publisher's id is kept
          if (c.received) {
            await stream.waitForEvents(1);
            assert.equal(stream.events[0]!.id, id);
            assert.equal(stream.events[0]!.data, data);
            assert.equal(stream.events[0]!.type, 'message');
            assert.equal(stream.events[0]!.lastEventId, id);
          } else {
            // Deterministic "not received": a public marker published after it arrives alone.
            const marker = markerFor(c.selectors[0]!);
            await publishOk(hub.url, { topic: marker, id: `marker-${id}`, data: 'marker' }, token);
            await stream.waitForEvents(1);
            assert.deepEqual(stream.events.map((e) => e.id), [`marker-${id}`]);
          }
        } finally {
          await stream.close();
        }
      });
    }
  });
}

describe('publish', () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  before(async () => (hub = await startHub({}, [])));
  after(() => hub.close());

  test('generates a urn:uuid id when none is given, and sends type and retry', async () => {
    const stream = await openStream(subscribeUrl(hub.url, ['t1']));
    try {
      const id = await publishOk(hub.url, { topic: 't1', data: 'x', type: 'book', retry: '1500' });
      assert.match(id, /^urn:uuid:[0-9a-f-]{36}$/);
      await stream.waitForEvents(1);
      assert.deepEqual({ ...stream.events[0] }, { id, lastEventId: id, data: 'x', type: 'book' });
      assert.match(stream.text(), /retry: ?1500\n/);
    } finally {
      await stream.close();
    }
  });

  const malformed: [string, Record<string, string | string[]>, number][] = [
    ['no topic', { data: 'x' }, 400],
    ['an empty topic', { topic: '' }, 400],
    ['a control character in the topic', { topic: 'a\u0001b' }, 400],
    ['the wildcard as a topic', { topic: '*' }, 400],
    ['a topic in the reserved namespace', { topic: '/.well-known/mercure/subscriptions/x/y' }, 403],
    ['an absolute topic in the reserved namespace', { topic: 'https://elsewhere.example/.well-known/mercure' }, 403],
    ['an id starting with #', { topic: 't', id: '#1' }, 400],
    ['an id with a newline', { topic: 't', id: 'a\nid: injected' }, 400],
    ['an id with NUL', { topic: 't', id: 'a\0b' }, 400],
    ['a type with a newline', { topic: 't', type: 'a\ndata: injected' }, 400],
    ['a retry that is not digits', { topic: 't', retry: '-1' }, 400],
    ['a retry with a decimal point', { topic: 't', retry: '1.5' }, 400],
    ['too many topics', { topic: Array.from({ length: 101 }, (_, i) => `t${i}`) }, 413],
    ['a huge topic', { topic: 'x'.repeat(5000) }, 413],
  ];
  for (const [name, fields, status] of malformed) {
    test(`refuses ${name} with ${status}`, async () => {
      const res = await publish(hub.url, fields);
      assert.equal(res.status, status, await res.text());
    });
  }

  test('refuses a body that is not form-encoded', async () => {
    const res = await fetch(`${hub.url}${HUB_PATH}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await sign({ mercure: { publish: ['*'] } })}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ topic: 't' }),
    });
    assert.equal(res.status, 400);
  });

  test('refuses a body past the limit with 413', async () => {
    const res = await publish(hub.url, { topic: 't', data: 'x'.repeat(1024 * 1024 + 10) });
    assert.equal(res.status, 413);
  });

  test('401 without a token (WWW-Authenticate: Bearer, pointing to the metadata), 403 for topics the token does not cover', async () => {
    const none = await publish(hub.url, { topic: 't' }, null);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), `Bearer resource_metadata="${hub.url}/.well-known/oauth-protected-resource${HUB_PATH}"`);
    const narrow = await sign({ mercure: { publish: ['https://e.com/books/{id}'] } });
    assert.equal((await publish(hub.url, { topic: 'https://e.com/books/1' }, narrow)).status, 200);
    const other = await publish(hub.url, { topic: 'https://e.com/authors/1' }, narrow);
    assert.equal(other.status, 403);
    assert.match(other.headers.get('www-authenticate') ?? '', /insufficient_scope/);
    // Every topic of the update must be covered.
    assert.equal((await publish(hub.url, { topic: ['https://e.com/books/1', 'https://e.com/authors/1'] }, narrow)).status, 403);
    assert.equal((await publish(hub.url, { topic: 't' }, await sign({}))).status, 403);
    assert.equal((await publish(hub.url, { topic: 't' }, await sign({ mercure: { subscribe: ['*'] } }))).status, 403);
  });

  test('a burst of publishes in one loop arrives complete and in order', async () => {
    const stream = await openStream(subscribeUrl(hub.url, ['burst']));
    try {
      const token = await sign({ mercure: { publish: ['*'] } });
      const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => publishOk(hub.url, { topic: 'burst', data: String(i), id: `b${i}` }, token)));
      await stream.waitForEvents(200);
      // Concurrent requests may be stored in any order; each arrives once, in the hub's order.
      assert.deepEqual(new Set(stream.events.map((e) => e.id)), new Set(ids));
      assert.equal(stream.events.length, 200);
    } finally {
      await stream.close();
    }
  });
});

describe('subscribe', () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  before(async () => (hub = await startHub({ corsOrigins: ['https://app.example'] })));
  after(() => hub.close());

  test('400 without a selector, for an unknown match parameter, and for control characters', async () => {
    assert.equal((await fetch(`${hub.url}${HUB_PATH}`)).status, 400);
    assert.equal((await fetch(`${hub.url}${HUB_PATH}?matchFoo=x`)).status, 400);
    assert.equal((await fetch(`${hub.url}${HUB_PATH}?topic=a%01b`)).status, 400);
    assert.equal((await fetch(subscribeUrl(hub.url, Array.from({ length: 101 }, (_, i) => `t${i}`)))).status, 400);
  });

  test('private updates reach only subscribers whose token covers a topic (header, cookie, query)', async () => {
    const topic = `https://e.com/books/${rand()}`;
    const reader = await sign({ mercure: { subscribe: ['https://e.com/books/{id}'] } });
    const stranger = await sign({ mercure: { subscribe: ['https://e.com/authors/{id}'] } });
    const url = subscribeUrl(hub.url, [topic]);
    const byHeader = await openStream(url, { headers: { Authorization: `Bearer ${reader}` } });
    const byCookie = await openStream(url, { headers: { Cookie: `other=1; mercureAuthorization=${reader}` } });
    const byQuery = await openStream(subscribeUrl(hub.url, [topic], { authorization: reader }));
    const anonymous = await openStream(url);
    const wrong = await openStream(url, { headers: { Authorization: `Bearer ${stranger}` } });
    const streams = [byHeader, byCookie, byQuery, anonymous, wrong];
    try {
      await publishOk(hub.url, { topic, id: 'secret', data: 's', private: 'on' });
      await publishOk(hub.url, { topic, id: 'public', data: 'p' });
      for (const s of streams) await s.waitFor(() => s.events.some((e) => e.id === 'public'));
      for (const s of [byHeader, byCookie, byQuery]) assert.deepEqual(s.events.map((e) => e.id), ['secret', 'public']);
      for (const s of [anonymous, wrong]) assert.deepEqual(s.events.map((e) => e.id), ['public']);
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  });

  test('resumes after Last-Event-ID (header or lastEventID), replays all with earliest, and sets the Last-Event-ID response header', async () => {
    const topic = `resume-${rand()}`;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await publishOk(hub.url, { topic, data: String(i) }));
    await publishOk(hub.url, { topic: 'unrelated', data: 'u' });
    const byHeader = await openStream(subscribeUrl(hub.url, [topic]), { headers: { 'Last-Event-ID': ids[1]! } });
    const byQuery = await openStream(subscribeUrl(hub.url, [topic], { lastEventID: ids[0]! }));
    const earliest = await openStream(subscribeUrl(hub.url, [topic], { lastEventID: 'earliest' }));
    const unknown = await openStream(subscribeUrl(hub.url, [topic], { lastEventID: 'never-published' }));
    try {
      await byHeader.waitForEvents(2);
      await byQuery.waitForEvents(3);
      await earliest.waitForEvents(4);
      assert.deepEqual(byHeader.events.map((e) => e.id), ids.slice(2));
      assert.equal(byHeader.response.headers.get('last-event-id'), ids[1]);
      assert.deepEqual(byQuery.events.map((e) => e.id), ids.slice(1));
      assert.deepEqual(earliest.events.map((e) => e.id), ids);
      assert.equal(earliest.response.headers.get('last-event-id'), 'earliest');
      // An id the hub does not have: live only, and the header says so.
      assert.equal(unknown.response.headers.get('last-event-id'), 'earliest');
      const next = await publishOk(hub.url, { topic, data: 'live' });
      await unknown.waitForEvents(1);
      assert.deepEqual(unknown.events.map((e) => e.id), [next]);
      await byHeader.waitForEvents(3);
      assert.deepEqual(byHeader.events.map((e) => e.id), [...ids.slice(2), next]);
    } finally {
      await Promise.all([byHeader, byQuery, earliest, unknown].map((s) => s.close()));
    }
  });

  test('replayed private updates are filtered like live ones', async () => {
    const topic = `replay-private-${rand()}`;
    const first = await publishOk(hub.url, { topic, data: '0' });
    await publishOk(hub.url, { topic, data: 'hidden', private: 'on', id: `hidden-${rand()}` });
    const last = await publishOk(hub.url, { topic, data: '2' });
    const s = await openStream(subscribeUrl(hub.url, [topic], { lastEventID: first }));
    try {
      await s.waitForEvents(1);
      await publishOk(hub.url, { topic, data: 'after', id: `after-${rand()}` });
      await s.waitForEvents(2);
      assert.deepEqual(s.events.map((e) => e.data), ['2', 'after']);
      assert.equal(s.events[0]!.id, last);
    } finally {
      await s.close();
    }
  });

  test('hostile lastEventID values never break the stream', async () => {
    for (const value of ['a\r\nX-Injected: 1', 'x'.repeat(10_000), '\u0000', '{"i":"x",']) {
      const s = await openStream(subscribeUrl(hub.url, ['hostile'], { lastEventID: value }));
      try {
        assert.equal(s.response.status, 200);
        assert.equal(s.response.headers.get('x-injected'), null);
      } finally {
        await s.close();
      }
    }
  });

  test('CORS: listed origins get credentials; preflight lists methods and headers; others get nothing', async () => {
    const pre = await fetch(`${hub.url}${HUB_PATH}`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    });
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
    const s = await openStream(subscribeUrl(hub.url, ['cors']), { headers: { Origin: 'https://app.example' } });
    const evil = await openStream(subscribeUrl(hub.url, ['cors']), { headers: { Origin: 'https://evil.example' } });
    try {
      assert.equal(s.response.headers.get('access-control-allow-origin'), 'https://app.example');
      assert.equal(evil.response.headers.get('access-control-allow-origin'), null);
      assert.match(s.response.headers.get('link') ?? '', /^<http:\/\/127\.0\.0\.1:\d+\/\.well-known\/mercure>; rel="mercure"$/);
    } finally {
      await Promise.all([s.close(), evil.close()]);
    }
  });

  test('publishing with the cookie needs a listed Origin', async () => {
    const token = await sign({ mercure: { publish: ['*'] } });
    const cookie = { Cookie: `mercureAuthorization=${token}` };
    assert.equal((await publish(hub.url, { topic: 't' }, null, { ...cookie })).status, 403);
    assert.equal((await publish(hub.url, { topic: 't' }, null, { ...cookie, Origin: 'https://evil.example' })).status, 403);
    assert.equal((await publish(hub.url, { topic: 't' }, null, { ...cookie, Origin: 'https://app.example' })).status, 200);
  });
});

describe('subscribers need a token unless anonymous is on', () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  before(async () => (hub = await startHub({ anonymous: false })));
  after(() => hub.close());

  test('401 without a token or with a bad one; 200 with a valid one', async () => {
    assert.equal((await fetch(subscribeUrl(hub.url, ['t']))).status, 401);
    const bad = await fetch(subscribeUrl(hub.url, ['t']), { headers: { Authorization: 'Bearer not.a.jwt' } });
    assert.equal(bad.status, 401);
    const basic = await fetch(subscribeUrl(hub.url, ['t']), { headers: { Authorization: 'Basic dTpw' } });
    assert.equal(basic.status, 401);
    const s = await openStream(subscribeUrl(hub.url, ['t']), { headers: { Authorization: `Bearer ${await sign({ mercure: { subscribe: [] } })}` } });
    try {
      assert.equal(s.response.status, 200);
    } finally {
      await s.close();
    }
  });

  test('the stream of a token ends at its exp', async () => {
    const token = await sign({ mercure: { subscribe: ['*'] } }, { exp: Math.floor(Date.now() / 1000) + 4 });
    const s = await openStream(subscribeUrl(hub.url, ['t']), { headers: { Authorization: `Bearer ${token}` } });
    try {
      assert.equal(s.response.status, 200);
      await s.finished;
      assert.equal(s.ended, true);
    } finally {
      await s.close();
    }
  });
});

describe('active subscriptions', () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  before(async () => (hub = await startHub({ subscriptions: true })));
  after(() => hub.close());

  test('subscription events and the subscriptions API', async () => {
    const watcher = await sign({ mercure: { subscribe: ['/.well-known/mercure/subscriptions{/topic}{/subscriber}'], payload: { role: 'watcher' } } });
    const events = await openStream(subscribeUrl(hub.url, ['/.well-known/mercure/subscriptions{/topic}{/subscriber}']), {
      headers: { Authorization: `Bearer ${watcher}` },
    });
    const anonymousWatcher = await openStream(subscribeUrl(hub.url, ['/.well-known/mercure/subscriptions{/topic}{/subscriber}', 'public-marker']));
    try {
      const topic = `https://e.com/books/${rand()}`;
      const member = await openStream(subscribeUrl(hub.url, [topic]));
      const isFor = (e: { data: string }, active: boolean) => {
        const d = JSON.parse(e.data);
        return d.topic === topic && d.active === active;
      };
      await events.waitFor(() => events.events.some((e) => isFor(e, true)));
      const created = JSON.parse(events.events.find((e) => isFor(e, true))!.data);
      assert.equal(created['@context'], 'https://mercure.rocks/');
      assert.equal(created.type, 'Subscription');
      assert.match(created.subscriber, /^urn:uuid:/);
      assert.equal(created.id, `/.well-known/mercure/subscriptions/${encodeURIComponent(topic)}/${encodeURIComponent(created.subscriber)}`);

      const api = await fetch(`${hub.url}/.well-known/mercure/subscriptions`, { headers: { Authorization: `Bearer ${watcher}` } });
      assert.equal(api.status, 200);
      assert.match(api.headers.get('content-type') ?? '', /application\/ld\+json/);
      const list = await api.json();
      assert.equal(list.type, 'Subscriptions');
      assert.ok(list.subscriptions.some((s: { topic: string }) => s.topic === topic));
      const watcherEntry = list.subscriptions.find((s: { topic: string }) => s.topic.startsWith('/.well-known'));
      assert.deepEqual(watcherEntry.payload, { role: 'watcher' });
      const one = await fetch(`${hub.url}${created.id}`, { headers: { Authorization: `Bearer ${watcher}` } });
      assert.equal(one.status, 200);
      assert.equal((await one.json()).subscriber, created.subscriber);
      const byTopic = await fetch(`${hub.url}/.well-known/mercure/subscriptions/${encodeURIComponent(topic)}`, { headers: { Authorization: `Bearer ${watcher}` } });
      assert.equal((await byTopic.json()).subscriptions.length, 1);

      assert.equal((await fetch(`${hub.url}/.well-known/mercure/subscriptions`)).status, 401);
      const narrow = await sign({ mercure: { subscribe: ['https://e.com/{x}'] } });
      assert.equal((await fetch(`${hub.url}/.well-known/mercure/subscriptions`, { headers: { Authorization: `Bearer ${narrow}` } })).status, 403);

      await member.close();
      await events.waitFor(() => events.events.some((e) => isFor(e, false)));
      // Subscription events are private: the anonymous watcher saw none of them.
      await publishOk(hub.url, { topic: 'public-marker', data: 'm', id: `m-${rand()}` });
      await anonymousWatcher.waitForEvents(1);
      assert.deepEqual(anonymousWatcher.events.map((e) => e.data), ['m']);
    } finally {
      await Promise.all([events.close(), anonymousWatcher.close()]);
    }
  });
});

test('a subscription event that cannot be stored goes to onError; a throwing onError is contained', async () => {
  const { Hub, createMemoryBackend } = await import('../../src/index.js');
  const memory = createMemoryBackend();
  const failing = Object.create(memory) as typeof memory;
  failing.append = (channel, record, limits) =>
    record.data.includes('subscriptions') ? Promise.reject(new Error('disk full')) : memory.append(channel, record, limits);
  for (const k of ['readAfter', 'follow', 'compareIds', 'isValidId', 'close'] as const) (failing as unknown as Record<string, unknown>)[k] = (memory[k] as Function).bind(memory);
  const hub = new Hub({ backend: failing });
  const heard: unknown[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const started = await startHub({
    hub,
    subscriptions: true,
    onError: (err) => {
      heard.push(err);
      throw new Error('onError itself fails');
    },
  });
  try {
    const s = await openStream(subscribeUrl(started.url, ['t']));
    try {
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error('onError never heard')), 5000);
        const check = () => (heard.length > 0 ? (clearTimeout(deadline), resolve()) : setImmediate(check));
        check();
      });
      assert.match(String(heard[0]), /disk full/);
      // The stream itself is unharmed.
      const id = await publishOk(started.url, { topic: 't', data: 'still here' });
      await s.waitForEvents(1);
      assert.equal(s.events[0]!.id, id);
    } finally {
      await s.close();
    }
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await started.close();
    await hub.close();
  }
});

test('draft-08 matchers: match= subscriptions get typed subscription topics; URL patterns bounded', async () => {
  const started = await startHub({ subscriptions: true });
  try {
    const watcher = await sign({ mercure: { subscribe: ['*'] } });
    const events = await openStream(`${started.url}${HUB_PATH}?match=*`, { headers: { Authorization: `Bearer ${watcher}` } });
    try {
      const member = await openStream(`${started.url}${HUB_PATH}?match=${encodeURIComponent('https://e.com/books/1')}`);
      await events.waitFor(() => events.events.some((e) => JSON.parse(e.data).match === 'https://e.com/books/1'));
      const info = JSON.parse(events.events.find((e) => JSON.parse(e.data).match === 'https://e.com/books/1')!.data);
      assert.equal(info.matchType, 'Exact');
      assert.equal(info.id, `/.well-known/mercure/subscriptions/Exact/${encodeURIComponent('https://e.com/books/1')}/${encodeURIComponent(info.subscriber)}`);
      const api = await fetch(`${started.url}/.well-known/mercure/subscriptions/Exact/${encodeURIComponent('https://e.com/books/1')}`, { headers: { Authorization: `Bearer ${watcher}` } });
      assert.equal((await api.json()).subscriptions.length, 1);
      await member.close();
    } finally {
      await events.close();
    }
    // URL patterns work on every supported Node (the runtime's URLPattern, else the polyfill);
    // a pattern whose matching cost is not bounded is refused loudly.
    const pattern = await fetch(`${started.url}${HUB_PATH}?matchURLPattern=${encodeURIComponent('https://e.com/books/:id')}`, { signal: AbortSignal.timeout(5000) });
    assert.equal(pattern.status, 200);
    await pattern.body?.cancel();
    for (const bad of ['https://e.com/:a+-:b+', 'https://e.com/(a+)+', 'https://e.com/:a-*-:b']) {
      const refused = await fetch(`${started.url}${HUB_PATH}?matchURLPattern=${encodeURIComponent(bad)}`, { signal: AbortSignal.timeout(5000) });
      assert.equal(refused.status, 400, bad);
      assert.match((await refused.json()).message, /matchURLPattern: .*(groups|wildcard)/);
    }
    const unknown = await fetch(`${started.url}${HUB_PATH}?matchRegexp=a`, { signal: AbortSignal.timeout(5000) });
    assert.equal(unknown.status, 400);
  } finally {
    await started.close();
  }
});

test('draft-08 URL pattern and URI template subscriptions receive what they match, nothing else', async () => {
  const started = await startHub();
  try {
    const topic = `https://e.com/books/${rand()}`;
    const byPattern = await openStream(`${started.url}${HUB_PATH}?matchURLPattern=${encodeURIComponent('https://e.com/books/:id')}`);
    const byTemplate = await openStream(`${started.url}${HUB_PATH}?matchURITemplate=${encodeURIComponent('https://e.com/books/{id}')}`);
    const other = await openStream(`${started.url}${HUB_PATH}?matchURLPattern=${encodeURIComponent('https://e.com/authors/:id')}`);
    try {
      await publishOk(started.url, { topic: 'https://e.com/books/1/chapters/2', data: 'nested', id: `nested-${rand()}` });
      const id = await publishOk(started.url, { topic, data: 'book' });
      for (const s of [byPattern, byTemplate]) {
        await s.waitFor(() => s.events.some((e) => e.id === id));
        assert.deepEqual(s.events.map((e) => e.data), ['book']);
      }
      await publishOk(started.url, { topic: 'https://e.com/authors/9', data: 'author' });
      await other.waitFor(() => other.events.length === 1);
      assert.deepEqual(other.events.map((e) => e.data), ['author']);
    } finally {
      await Promise.all([byPattern.close(), byTemplate.close(), other.close()]);
    }
  } finally {
    await started.close();
  }
});

test('resuming from an id this hub instance never saw finds it in the shared history', async () => {
  // Two Mercure hubs on one Hub and channel stand for two processes: the second knows none of
  // the first one's ids and must find them by reading the retained history.
  const { Hub } = await import('../../src/index.js');
  const hub = new Hub();
  const first = await startHub({ hub });
  const second = await startHub({ hub });
  try {
    const topic = `scan-${rand()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await publishOk(first.url, { topic, data: String(i), id: `${topic}-${i}` }));
    const s = await openStream(subscribeUrl(second.url, [topic]), { headers: { 'Last-Event-ID': ids[2]! } });
    try {
      await s.waitForEvents(2);
      assert.deepEqual(s.events.map((e) => e.id), ids.slice(3));
      assert.equal(s.response.headers.get('last-event-id'), ids[2]);
    } finally {
      await s.close();
    }
  } finally {
    await first.close();
    await second.close();
    await hub.close();
  }
});

test('resuming from an update that fell out of the history: an eventide-gap event, then live updates', async () => {
  const { Hub } = await import('../../src/index.js');
  const hub = new Hub({ history: { maxEvents: 3 } });
  const started = await startHub({ hub });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await publishOk(started.url, { topic: 'small', data: String(i) }));
    const s = await openStream(subscribeUrl(started.url, ['small']), { headers: { 'Last-Event-ID': ids[0]! } });
    try {
      await s.waitForEvents(1);
      assert.equal(s.events[0]!.type, 'eventide-gap');
      assert.equal(s.events[0]!.id, undefined); // the client keeps its last id
      const live = await publishOk(started.url, { topic: 'small', data: 'live' });
      await s.waitForEvents(2);
      assert.equal(s.events[1]!.id, live);
    } finally {
      await s.close();
    }
  } finally {
    await started.close();
    await hub.close();
  }
});

test('draft-08 protected resource metadata (RFC 9728) at the well-known path derived from the hub URL', async () => {
  const plain = await startHub();
  const configured = await startHub({
    audience: 'https://hub.example/.well-known/mercure',
    issuers: ['https://auth.example'],
    subscriberJwt: { jwksUrl: 'https://auth.example/jwks.json' },
    corsOrigins: ['https://app.example'],
  });
  try {
    const res = await fetch(`${plain.url}/.well-known/oauth-protected-resource${HUB_PATH}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), {
      resource: `${plain.url}${HUB_PATH}`,
      bearer_methods_supported: ['header', 'query'],
      mercure_cookie: true,
      mercure_version: 8,
    });
    const other = await fetch(`${configured.url}/.well-known/oauth-protected-resource${HUB_PATH}`, { headers: { Origin: 'https://app.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.deepEqual(await other.json(), {
      resource: 'https://hub.example/.well-known/mercure',
      authorization_servers: ['https://auth.example'],
      jwks_uri: 'https://auth.example/jwks.json',
      bearer_methods_supported: ['header', 'query'],
      mercure_cookie: true,
      mercure_version: 8,
    });
    // A hostile Host header reaches neither the document nor the challenge.
    const port = new URL(plain.url).port;
    const forged = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: `/.well-known/oauth-protected-resource${HUB_PATH}`, headers: { Host: 'evil.example", x="y' } }, (r) => {
        let body = '';
        r.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: r.statusCode!, body }));
      }).on('error', reject);
    });
    assert.equal(forged.status, 200);
    assert.equal(JSON.parse(forged.body).resource, `http://localhost${HUB_PATH}`);
  } finally {
    await plain.close();
    await configured.close();
  }
});
