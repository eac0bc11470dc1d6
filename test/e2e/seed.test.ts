// The seed example, unchanged, compiled with standard decorators and with experimentalDecorators,
// received by the `eventsource` npm client and by Chromium's native EventSource.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EventSource as NpmEventSource } from 'eventsource';
import { compile, repoRoot, startProcess } from '../support/processes.js';
import { chromiumSkipReason, launchChromium } from '../support/chromium.js';

const work = join(repoRoot, '.tmp', `seed-e2e-${process.pid}`);

async function buildVariant(mode: 'standard' | 'legacy'): Promise<string> {
  const src = join(work, mode, 'src');
  const out = join(work, mode, 'out');
  mkdirSync(src, { recursive: true });
  copyFileSync(join(repoRoot, 'examples/seed/app.controller.ts'), join(src, 'app.controller.ts'));
  copyFileSync(join(repoRoot, 'test/e2e/fixtures/main.ts'), join(src, 'main.ts'));
  const files = [join(src, 'app.controller.ts'), join(src, 'main.ts')];
  if (mode === 'legacy') {
    copyFileSync(join(repoRoot, 'test/e2e/fixtures/params.controller.ts'), join(src, 'params.controller.ts'));
    files.push(join(src, 'params.controller.ts'));
  } else {
    // Parameter decorators do not exist with standard decorators: serve the seed alone.
    const { writeFileSync, readFileSync } = await import('node:fs');
    const main = readFileSync(join(src, 'main.ts'), 'utf8')
      .replace("import { ParamsController } from './params.controller.js';\n", '')
      .replace('[AppController, ParamsController]', '[AppController]');
    writeFileSync(join(src, 'main.ts'), main);
  }
  await compile(files, out, src, mode === 'legacy');
  return join(out, 'main.js');
}

const variants: Record<string, string> = {};
before(async () => {
  const [standard, legacy] = await Promise.all([buildVariant('standard'), buildVariant('legacy')]);
  variants.standard = standard;
  variants.legacy = legacy;
});
after(() => rmSync(work, { recursive: true, force: true }));

function firstMessage(url: string): Promise<{ data: string; type: string }> {
  return new Promise((resolve, reject) => {
    const es = new NpmEventSource(url);
    const timer = setTimeout(() => {
      es.close();
      reject(new Error('no message within 10 s'));
    }, 10_000);
    es.onmessage = (event) => {
      clearTimeout(timer);
      es.close();
      resolve({ data: event.data, type: event.type });
    };
  });
}

for (const mode of ['standard', 'legacy'] as const) {
  test(`seed example (${mode} decorators) streams to the eventsource npm client`, async () => {
    const server = await startProcess(variants[mode]);
    try {
      const message = await firstMessage(`${server.url}/sse`);
      assert.deepEqual(JSON.parse(message.data), { hello: 'world' });
      assert.equal(message.type, 'message');
    } finally {
      await server.stop();
    }
  });

  test(`seed example (${mode} decorators) streams to Chromium's EventSource`, { skip: chromiumSkipReason() }, async () => {
    const server = await startProcess(variants[mode]);
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      // Any same-origin page will do: the 404 JSON of an unknown path.
      await page.goto(`${server.url}/blank`);
      const received = await page.evaluate(
        () =>
          new Promise<{ data: string; opened: boolean }>((resolve, reject) => {
            let opened = false;
            const eventSource = new EventSource('/sse');
            eventSource.onopen = () => (opened = true);
            eventSource.onmessage = ({ data }) => {
              eventSource.close();
              resolve({ data, opened });
            };
            setTimeout(() => reject(new Error('no message within 10 s')), 10_000);
          }),
      );
      assert.equal(received.opened, true);
      assert.deepEqual(JSON.parse(received.data), { hello: 'world' });
    } finally {
      await chromium.close();
      await server.stop();
    }
  });
}

test('experimentalDecorators: parameter decorators inject params, query, headers, Last-Event-ID, signal, body', async () => {
  const server = await startProcess(variants.legacy);
  try {
    const res = await fetch(`${server.url}/legacy/rooms/blue?q=search`, { headers: { 'X-Test': 'yes', 'Last-Event-ID': '41' } });
    const text = await res.text();
    const data = JSON.parse(/^data: (.*)$/m.exec(text)![1]);
    assert.deepEqual(data, { room: 'blue', q: 'search', header: 'yes', lastEventId: '41', signal: true, method: 'GET' });
    const echo = await fetch(`${server.url}/legacy/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2]' });
    assert.deepEqual(await echo.json(), { body: [1, 2], params: {}, path: '/legacy/echo' });
    const whole = await (await fetch(`${server.url}/legacy/whole`)).text();
    assert.equal(whole, 'data: /legacy/whole\n\n');
  } finally {
    await server.stop();
  }
});
