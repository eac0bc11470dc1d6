// The demo `npm start` serves, driven in Chromium: the seed page, and the broadcast page where a tab
// whose connection is cut catches up without missing a message, and the gap signal shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProcess } from '../support/processes.js';
import { chromiumSkipReason, launchChromium } from '../support/chromium.js';

const skip = chromiumSkipReason();
let demo: Awaited<ReturnType<typeof startProcess>> | undefined;
let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;

before(async () => {
  if (skip) return;
  demo = await startProcess(['--import', 'tsx', 'examples/demo/main.ts'], { PORT: '0', HOST: '127.0.0.1' });
  chromium = await launchChromium();
});

after(async () => {
  await chromium?.close();
  await demo?.stop();
});

test('the seed page shows messages as they arrive', { skip }, async () => {
  const page = await chromium!.browser.newPage();
  await page.goto(demo!.url);
  await page.waitForFunction(() => Number(document.getElementById('count')!.textContent) >= 2, undefined, { timeout: 10_000 });
  assert.equal(await page.textContent('#state'), 'open');
  assert.match((await page.textContent('#log'))!, /\{"hello":"world"\}/);
  // The link to the broadcast page renders as one link, with no stray entity text after it.
  assert.equal(await page.textContent('a[href="/broadcast"]'), 'Next: a resumable broadcast (chat and ticker) \u2192');
  assert.doesNotMatch((await page.textContent('body'))!, /rarr;/);
  await page.close();
});

test('broadcast: tabs share messages; a cut tab catches up from Last-Event-ID; a gap shows', { skip }, async () => {
  const context = await chromium!.browser.newContext();
  const [a, b] = await Promise.all([context.newPage(), context.newPage()]);
  // Separate sessionStorage per page: each is its own tab.
  await Promise.all([a.goto(`${demo!.url}/broadcast`), b.goto(`${demo!.url}/broadcast`)]);
  await Promise.all([a, b].map((p) => p.waitForFunction(() => document.getElementById('state')!.textContent === 'open')));
  const say = (text: string) =>
    a.evaluate(async (t) => {
      const res = await fetch('/broadcast/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'test', text: t }) });
      if (!res.ok) throw new Error(await res.text());
    }, text);
  await say('one');
  await b.waitForFunction(() => document.getElementById('messages')!.textContent!.includes('one'));
  // Cut b's connection on the server and publish while it is away.
  await b.click('#drop');
  await say('two');
  await say('three');
  await b.waitForFunction(() => Number(document.getElementById('reconnects')!.textContent) >= 1);
  await say('four');
  const expected = ['one', 'two', 'three', 'four'];
  for (const p of [a, b]) {
    await p.waitForFunction(() => document.querySelectorAll('#messages li').length >= 4, undefined, { timeout: 15_000 });
    const texts = await p.$$eval('#messages li', (items) => items.map((li) => li.childNodes[1].textContent));
    assert.deepEqual(texts, expected);
  }
  // The ticker never skipped a tick on the tab that was cut.
  assert.equal(await b.textContent('#tickCheck'), 'no tick missed');
  // Resuming from a position the hub does not know shows the gap signal.
  await b.click('#stale');
  await b.waitForSelector('#gap.shown', { timeout: 10_000 });
  assert.match((await b.textContent('#gap'))!, /Gap signal .* chat, ticker/);
  await context.close();
});
