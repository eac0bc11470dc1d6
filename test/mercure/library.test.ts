// The library form: the Mercure endpoints mounted in an eventide app beside the user's own routes,
// sharing one Hub, with server-side publishing and the discovery link on the user's responses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, Get, Post, Sse, createApp, Hub, type RequestContext } from '../../src/index.js';
import { createMercureHub, type MercureHub } from '../../src/mercure/index.js';
import { openStream } from '../support/sse-client.js';
import { publishOk, SECRET, subscribeUrl } from './helpers.js';

test('Mercure beside a user controller, one Hub for both', async () => {
  const hub = new Hub();
  const mercure: MercureHub = createMercureHub({ hub, publisherJwt: { key: SECRET }, anonymous: true });

  @Controller('books')
  class BooksController {
    @Get(':id')
    book(ctx: RequestContext) {
      // Discovery: tell clients where the hub is.
      ctx.setHeader('Link', mercure.discoveryLink(ctx));
      return { id: ctx.params.id, title: 'Dune' };
    }

    @Post(':id')
    async update(ctx: RequestContext) {
      // The application publishes without HTTP or a token.
      const id = await mercure.publish({ topics: `https://example.com/books/${ctx.params.id}`, data: JSON.stringify(ctx.body) });
      await hub.publish('audit', { data: { book: ctx.params.id } });
      return { id };
    }

    @Sse('audit/stream')
    audit(ctx: RequestContext) {
      return hub.subscribe('audit', { lastEventId: ctx.lastEventId });
    }
  }

  const app = createApp({ controllers: [mercure.controller, BooksController] });
  await app.listen(0, '127.0.0.1');
  try {
    const page = await fetch(`${app.url}/books/1`);
    assert.deepEqual(await page.json(), { id: '1', title: 'Dune' });
    assert.equal(page.headers.get('link'), `<${app.url}/.well-known/mercure>; rel="mercure"`);

    const updates = await openStream(subscribeUrl(app.url, ['https://example.com/books/{id}']));
    const audit = await openStream(`${app.url}/books/audit/stream`);
    try {
      const res = await fetch(`${app.url}/books/1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ title: 'Dune Messiah' }) });
      const { id } = await res.json();
      await updates.waitForEvents(1);
      assert.equal(updates.events[0]!.id, id);
      assert.deepEqual(JSON.parse(updates.events[0]!.data), { title: 'Dune Messiah' });
      await audit.waitFor(() => audit.events.some((e) => e.data.includes('"book":"1"')));
      // An HTTP publisher reaches the same subscribers.
      const httpId = await publishOk(app.url, { topic: 'https://example.com/books/2', data: 'from PHP' });
      await updates.waitForEvents(2);
      assert.equal(updates.events[1]!.id, httpId);
      // Both live on the one Hub: the Mercure channel beside the user's channel.
      assert.ok(hub.activeChannels >= 2);
      await assert.rejects(mercure.publish({ topics: [], data: 'x' }), { code: 'EVENTIDE_INVALID_EVENT' });
      await assert.rejects(mercure.publish({ topics: 'a', id: 'x\ny' }), { code: 'EVENTIDE_INVALID_EVENT' });
    } finally {
      await Promise.all([updates.close(), audit.close()]);
    }
  } finally {
    await app.close();
    await mercure.close(); // leaves the shared Hub open
    await hub.publish('audit', { data: 'still open' });
    await hub.close();
  }
});
