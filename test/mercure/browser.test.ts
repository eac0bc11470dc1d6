// Real Chromium EventSource against the hub: Mercure's conformance cases run in the page against
// `eventide hub` on memory and on Redis (ported from conformance-tests/mercure.spec.ts), and a
// private update published by curl reaching a browser authorized by the mercureAuthorization cookie.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { Controller, Get, createApp, type RequestContext } from '../../src/index.js';
import { createMercureHub } from '../../src/mercure/index.js';
import { chromiumSkipReason, launchChromium } from '../support/chromium.js';
import { deleteKeys, REDIS_URL, redisReachable, uniquePrefix } from '../redis/helpers.js';
import { conformanceCases } from './conformance-cases.js';
import { sign, SECRET } from './helpers.js';
import { startHubProcess, type HubProcess } from './processes.js';

const skip = chromiumSkipReason();
let browser: Browser;
let closeBrowser: () => Promise<void>;
if (!skip) {
  before(async () => ({ browser, close: closeBrowser } = await launchChromium()));
  after(() => closeBrowser());
}

interface PageCase {
  name: string;
  topics: string[];
  selectors: string[];
  private?: boolean;
  id: string;
  marker: string;
  token: string;
}

/** Runs one conformance case inside the page; resolves with what the page saw. */
function runInPage(c: PageCase) {
  return (async (c: PageCase) => {
    const url = new window.URL('/.well-known/mercure', window.origin);
    c.selectors.forEach((s) => url.searchParams.append('topic', s));
    const form = new window.URLSearchParams();
    c.topics.forEach((t) => form.append('topic', t));
    form.set('id', c.id);
    form.set('data', `data for\n\n        ${c.name}`);
    if (c.private) form.set('private', 'on');
    const es = new EventSource(url);
    const seen: { id: string; data: string; type: string }[] = [];
    await new Promise((resolve) => (es.onopen = resolve));
    const got = new Promise<void>((resolve) => {
      es.onmessage = (e) => {
        seen.push({ id: e.lastEventId, data: e.data, type: e.type });
        resolve();
      };
    });
    const resp = await fetch('/.well-known/mercure', { method: 'POST', headers: { Authorization: `Bearer ${c.token}` }, body: form });
    const body = await resp.text();
    // "Not received" is proven by a later public marker on a selected topic arriving alone.
    const marker = new window.URLSearchParams({ topic: c.marker, id: `marker-${c.id}`, data: 'marker' });
    await fetch('/.well-known/mercure', { method: 'POST', headers: { Authorization: `Bearer ${c.token}` }, body: marker });
    await got;
    if (seen.length === 1 && seen[0]!.id !== `marker-${c.id}`) {
      await new Promise<void>((resolve) => {
        es.onmessage = (e) => {
          seen.push({ id: e.lastEventId, data: e.data, type: e.type });
          resolve();
        };
      });
    }
    es.close();
    return { status: resp.status, contentType: resp.headers.get('Content-Type'), body, seen, data: form.get('data') };
  })(c);
}

for (const backend of ['memory', 'redis'] as const) {
  describe(`conformance cases in Chromium, eventide hub on ${backend}`, { skip }, () => {
    let hub: HubProcess;
    let prefix: string | undefined;
    let token: string;
    before(async () => {
      const args = ['--port', '0', '--jwt-key', SECRET, '--anonymous'];
      if (backend === 'redis') {
        if (!(await redisReachable())) throw new Error(`Redis not reachable at ${REDIS_URL}`);
        prefix = uniquePrefix('mercure-browser');
        args.push('--redis-url', REDIS_URL, '--redis-prefix', prefix);
      }
      hub = await startHubProcess(args);
      token = await sign({ mercure: { publish: ['*'], subscribe: ['*'] } });
    });
    after(async () => {
      await hub.stop();
      if (prefix) await deleteKeys(prefix);
    });

    for (const c of conformanceCases()) {
      test(c.name, async () => {
        const page = await browser.newPage();
        try {
          await page.goto(`${hub.url}/`);
          const id = `id-${JSON.stringify(c.topics)}`;
          const marker = c.selectors[0]!.replace(/\{[^}]*\}/, 'marker');
          const result = await page.evaluate(runInPage, { name: c.name, topics: c.topics, selectors: c.selectors, private: c.private, id, marker, token });
          assert.equal(result.status, 200);
          assert.match(result.contentType ?? '', /^text\/plain(?:$|;.*)/);
          assert.equal(result.body, id);
          if (c.received) {
            assert.deepEqual(result.seen[0], { id, data: result.data, type: 'message' });
          } else {
            assert.deepEqual(result.seen.map((e) => e.id), [`marker-${id}`]);
          }
        } finally {
          await page.close();
        }
      });
    }
  });
}

describe('the mercureAuthorization cookie in Chromium; a publish by curl', { skip }, () => {
  test('a private update published by curl reaches the browser with the cookie, not the one without', async () => {
    const mercure = createMercureHub({ publisherJwt: { key: SECRET }, anonymous: true });
    const subscriberToken = await sign({ mercure: { subscribe: ['https://example.com/books/{id}'] } });

    @Controller()
    class PageController {
      @Get('app')
      page(ctx: RequestContext) {
        if (ctx.query.login === '1') {
          ctx.setHeader('Set-Cookie', `mercureAuthorization=${subscriberToken}; Path=/.well-known/mercure; HttpOnly; SameSite=Strict`);
        }
        ctx.setHeader('Content-Type', 'text/html; charset=utf-8');
        return '<!doctype html><title>books</title>';
      }
    }

    const app = createApp({ controllers: [mercure.controller, PageController] });
    await app.listen(0, '127.0.0.1');
    const withCookie = await browser.newContext();
    const without = await browser.newContext();
    try {
      const pages = [await withCookie.newPage(), await without.newPage()];
      await pages[0]!.goto(`${app.url}/app?login=1`);
      await pages[1]!.goto(`${app.url}/app`);
      const listen = (page: (typeof pages)[number]) =>
        page.evaluate(() => {
          const w = window as unknown as { seen: string[]; opened: Promise<unknown> };
          w.seen = [];
          const es = new EventSource('/.well-known/mercure?topic=' + encodeURIComponent('https://example.com/books/{id}'));
          es.onmessage = (e) => w.seen.push(e.data);
          w.opened = new Promise((r) => (es.onopen = r));
          return w.opened;
        });
      await Promise.all(pages.map(listen));
      const publisherToken = await sign({ mercure: { publish: ['*'] } });
      const curl = async (fields: string[]) => {
        const args = ['-sS', '-X', 'POST', `${app.url}/.well-known/mercure`, '-H', `Authorization: Bearer ${publisherToken}`];
        for (const f of fields) args.push('--data-urlencode', f);
        const { stdout } = await promisify(execFile)('curl', args);
        return stdout;
      };
      const secretId = await curl(['topic=https://example.com/books/1', 'data=secret', 'private=on']);
      assert.match(secretId, /^urn:uuid:/);
      await curl(['topic=https://example.com/books/1', 'data=public']);
      const seen = async (page: (typeof pages)[number]) => {
        await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.includes('public'), undefined, { timeout: 10_000 });
        return page.evaluate(() => (window as unknown as { seen: string[] }).seen);
      };
      assert.deepEqual(await seen(pages[0]!), ['secret', 'public']);
      assert.deepEqual(await seen(pages[1]!), ['public']);
    } finally {
      await withCookie.close();
      await without.close();
      await app.close();
      await mercure.close();
    }
  });
});
