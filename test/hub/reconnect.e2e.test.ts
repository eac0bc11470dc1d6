// Real clients against a real server: an @Sse route returning hub.subscribe(...). The server
// destroys every socket several times while publishing goes on; the `eventsource` npm client and
// Chromium's native EventSource reconnect on their own with Last-Event-ID and must end with
// exactly the published sequence: nothing missing, nothing twice, in order. Each client also
// holds a multi-channel stream, whose composite ids must resume both channels exactly.
//
// The anchor test leaves the npm client out: `eventsource` 4 drops a frame that has an id and no
// data, id included (WHATWG keeps the id), so an anchor cannot help it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { EventSource as NpmEventSource } from 'eventsource';
import { EventSource as EventideEventSource } from '../../src/client/node.js';
import { Controller, Get, Sse, createApp, type RequestContext } from '../../src/index.js';
import { Hub } from '../../src/hub/index.js';
import { chromiumSkipReason, launchChromium } from '../support/chromium.js';
import { waitFor } from './helpers.js';

const EVENTS = 60;
const KILL_AFTER = new Set([8, 20, 33, 47]);

test('eventsource (npm) and Chromium EventSource resume exactly after server-side socket destroys', { skip: chromiumSkipReason(), timeout: 60_000 }, async () => {
  const hub = new Hub();

  @Controller()
  class TickerController {
    @Get('page')
    page(ctx: RequestContext) {
      ctx.res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return '<!doctype html><title>ticker</title>';
    }

    @Sse('ticker')
    ticker(ctx: RequestContext) {
      return hub.subscribe('ticker', { lastEventId: ctx.lastEventId });
    }

    @Sse('both')
    both(ctx: RequestContext) {
      return hub.subscribe(['ticker', 'alerts'], { lastEventId: ctx.lastEventId });
    }
  }

  const app = createApp({ controllers: [new TickerController()], heartbeatMs: 15_000 });
  await app.listen(0, '127.0.0.1');
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const chromium = await launchChromium();
  let npm: NpmEventSource | undefined;
  let npmMulti: NpmEventSource | undefined;
  try {
    // The npm client, in this process.
    const npmGot: { data: string; id: string }[] = [];
    let npmOpens = 0;
    npm = new NpmEventSource(`${app.url}/ticker`);
    npm.onopen = () => npmOpens++;
    npm.onmessage = (e) => npmGot.push({ data: e.data, id: e.lastEventId });
    const npmBoth: string[] = [];
    npmMulti = new NpmEventSource(`${app.url}/both`);
    npmMulti.onmessage = (e) => npmBoth.push(e.data);

    // Chromium's own EventSource, on a page of the same origin.
    const page = await chromium.browser.newPage();
    await page.goto(`${app.url}/page`);
    await page.evaluate(() => {
      const w = window as unknown as { got: { data: string; id: string }[]; both: string[]; opens: number; bothOpens: number };
      w.got = [];
      w.both = [];
      w.opens = 0;
      w.bothOpens = 0;
      const es = new EventSource('/ticker');
      es.onopen = () => w.opens++;
      es.onmessage = (e) => w.got.push({ data: e.data, id: e.lastEventId });
      const multi = new EventSource('/both');
      multi.onopen = () => w.bothOpens++;
      multi.onmessage = (e) => w.both.push(e.data);
    });
    const browserState = () =>
      page.evaluate(() => {
        const w = window as unknown as { got: { data: string; id: string }[]; both: string[]; opens: number; bothOpens: number };
        return { got: w.got, both: w.both, opens: w.opens, bothOpens: w.bothOpens };
      });

    await waitFor(() => npmOpens === 1, 'the npm client to connect', 10_000);
    const deadline = Date.now() + 10_000;
    await waitFor(() => hub.subscriptionCount === 4, 'four streams', 10_000);
    while ((await browserState()).opens < 1 || (await browserState()).bothOpens < 1) {
      if (Date.now() > deadline) throw new Error('Chromium did not connect');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    const published: { data: string; id: string }[] = [];
    const alerts: string[] = [];
    let kills = 0;
    for (let i = 0; i < EVENTS; i++) {
      const data = `n${i}`;
      // retry: 50 makes both clients come back quickly after each destroy.
      published.push({ data, id: await hub.publish('ticker', { data, retry: 50 }) });
      if (i % 3 === 0) {
        alerts.push(`alert${i}`);
        await hub.publish('alerts', { data: `alert${i}`, retry: 50 });
      }
      if (KILL_AFTER.has(i)) {
        const open = [...sockets];
        for (const socket of open) socket.destroy();
        kills++;
      }
      // Pace the publisher so that events also flow while clients are away and reconnecting.
      await new Promise((resolve) => setTimeout(resolve, 8));
    }

    await waitFor(() => npmGot.length >= EVENTS, `the npm client to get ${EVENTS} events (has ${npmGot.length})`, 15_000);
    const browserDeadline = Date.now() + 15_000;
    let browser = await browserState();
    while (browser.got.length < EVENTS) {
      if (Date.now() > browserDeadline) throw new Error(`Chromium got ${browser.got.length} of ${EVENTS} events`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      browser = await browserState();
    }
    // Late duplicates would arrive right after the last event: give them one more round trip.
    await hub.publish('ticker', { data: 'end', retry: 50 });
    await waitFor(() => npmGot.at(-1)?.data === 'end', 'the end marker (npm)', 10_000);
    browser = await browserState();
    while (browser.got.at(-1)?.data !== 'end') {
      if (Date.now() > browserDeadline) throw new Error('Chromium did not get the end marker');
      await new Promise((resolve) => setTimeout(resolve, 20));
      browser = await browserState();
    }

    await waitFor(() => npmBoth.at(-1) === 'end', 'the end marker (npm, multi-channel)', 10_000);
    while (browser.both.at(-1) !== 'end') {
      if (Date.now() > browserDeadline) throw new Error('Chromium did not get the end marker on the multi-channel stream');
      await new Promise((resolve) => setTimeout(resolve, 20));
      browser = await browserState();
    }

    assert.equal(kills, KILL_AFTER.size);
    // Across channels only each channel's order is promised: compare channel by channel.
    const tickerOf = (list: string[]) => list.filter((d) => !d.startsWith('alert'));
    const alertsOf = (list: string[]) => list.filter((d) => d.startsWith('alert'));
    const tickerData = [...published.map((p) => p.data), 'end'];
    for (const [who, list] of [['npm', npmBoth], ['Chromium', browser.both]] as const) {
      assert.deepEqual(tickerOf(list), tickerData, `${who} multi-channel stream: the ticker channel exactly`);
      assert.deepEqual(alertsOf(list), alerts, `${who} multi-channel stream: the alerts channel exactly`);
    }
    assert.ok(browser.bothOpens > KILL_AFTER.size, `Chromium's multi-channel stream reconnected (${browser.bothOpens} opens)`);
    assert.deepEqual(npmGot.slice(0, -1), published, 'npm client: exactly the published sequence');
    assert.deepEqual(browser.got.slice(0, -1), published, 'Chromium: exactly the published sequence');
    assert.ok(npmOpens > KILL_AFTER.size, `the npm client reconnected after each destroy (${npmOpens} opens)`);
    assert.ok(browser.opens > KILL_AFTER.size, `Chromium reconnected after each destroy (${browser.opens} opens)`);
  } finally {
    npm?.close();
    npmMulti?.close();
    await chromium.close();
    await app.close();
    await hub.close();
  }
});

test('a client cut off before its first event resumes from the anchor (eventide client and Chromium)', { skip: chromiumSkipReason(), timeout: 60_000 }, async () => {
  const hub = new Hub();

  @Controller()
  class QuietController {
    @Get('page')
    page(ctx: RequestContext) {
      ctx.res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return '<!doctype html><title>quiet</title>';
    }

    @Sse('quiet')
    quiet(ctx: RequestContext) {
      return hub.subscribe('quiet', { lastEventId: ctx.lastEventId });
    }
  }

  const app = createApp({ controllers: [new QuietController()] });
  await app.listen(0, '127.0.0.1');
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const chromium = await launchChromium();
  let npm: EventideEventSource | undefined;
  try {
    const npmGot: string[] = [];
    let npmOpens = 0;
    npm = new EventideEventSource(`${app.url}/quiet`, { reconnect: { delay: 50 } });
    npm.onopen = () => npmOpens++;
    npm.onmessage = (e) => npmGot.push(e.data);
    const page = await chromium.browser.newPage();
    await page.goto(`${app.url}/page`);
    await page.evaluate(() => {
      const w = window as unknown as { got: string[]; opens: number };
      w.got = [];
      w.opens = 0;
      const es = new EventSource('/quiet');
      es.onopen = () => w.opens++;
      es.onmessage = (e) => w.got.push(e.data);
    });
    const state = () =>
      page.evaluate(() => {
        const w = window as unknown as { got: string[]; opens: number };
        return { got: [...w.got], opens: w.opens };
      });
    await waitFor(() => npmOpens === 1 && hub.subscriptionCount === 2, 'both clients to subscribe', 10_000);
    // The anchor goes out with the response headers: once `open` fired, the client holds it.
    const openDeadline = Date.now() + 10_000;
    while ((await state()).opens < 1) {
      if (Date.now() > openDeadline) throw new Error('Chromium did not open');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Both hold only the anchor. Cut them off, and publish while they are away.
    for (const socket of [...sockets]) socket.destroy();
    await waitFor(() => hub.subscriptionCount === 0, 'both streams to end', 10_000);
    for (const data of ['one', 'two', 'three']) await hub.publish('quiet', { data });
    // Both come back after their default reconnection delay, with the anchor's id as Last-Event-ID.
    await waitFor(() => npmGot.length >= 3, 'the eventide client to catch up', 15_000);
    const deadline = Date.now() + 15_000;
    let browser = await state();
    while (browser.got.length < 3) {
      if (Date.now() > deadline) throw new Error(`Chromium got ${JSON.stringify(browser)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      browser = await state();
    }
    assert.deepEqual(npmGot, ['one', 'two', 'three']);
    assert.deepEqual(browser.got, ['one', 'two', 'three']);
    assert.ok(npmOpens >= 2 && browser.opens >= 2, 'both reconnected');
  } finally {
    npm?.close();
    await chromium.close();
    await app.close();
    await hub.close();
  }
});
