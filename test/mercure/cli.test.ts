// `eventide hub`: --help documents every flag and variable, bad options exit 2, and the hub runs
// configured by flags, by environment variables, with a key file, and over TLS.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportSPKI, generateKeyPair } from 'jose';
import { FLAGS, envName } from '../../src/cli/config.js';
import { openStream } from '../support/sse-client.js';
import { publish, publishOk, sign, SECRET, subscribeUrl } from './helpers.js';
import { runCli, startHubProcess } from './processes.js';

const dir = mkdtempSync(join(tmpdir(), 'eventide-hub-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('help and errors', () => {
  test('eventide hub --help documents every flag and its environment variable', async () => {
    const { code, stdout } = await runCli(['hub', '--help']);
    assert.equal(code, 0);
    for (const flag of Object.keys(FLAGS) as (keyof typeof FLAGS)[]) {
      assert.ok(stdout.includes(`--${flag}`), `--${flag} is documented`);
      if (flag !== 'help' && flag !== 'version') assert.ok(stdout.includes(envName(flag)), `${envName(flag)} is documented`);
    }
  });

  test('eventide alone prints the commands and exits 2; unknown commands and options exit 2', async () => {
    const bare = await runCli([]);
    assert.equal(bare.code, 2);
    assert.match(bare.stdout, /hub/);
    assert.equal((await runCli(['nope'])).code, 2);
    const bad = await runCli(['hub', '--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--bogus/);
    const port = await runCli(['hub', '--port', 'eighty']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port \(EVENTIDE_HUB_PORT\) must be an integer/);
    assert.equal((await runCli(['hub', '--tls-cert', 'x.pem'])).code, 2);
    assert.equal((await runCli(['hub', '--jwt-key', '@/nonexistent/key.pem'])).code, 2);
    assert.match((await runCli(['--version'])).stdout, /^\d+\.\d+\.\d+/);
  });
});

describe('running', () => {
  test('configured by flags: publish, subscribe, CORS, subscriptions; SIGTERM exits 0', async () => {
    const hub = await startHubProcess(['--port', '0', '--jwt-key', SECRET, '--anonymous', '--cors-origins', 'https://app.example', '--subscriptions', '--heartbeat', '500']);
    try {
      const s = await openStream(subscribeUrl(hub.url, ['https://e.com/{id}']), { headers: { Origin: 'https://app.example' } });
      try {
        assert.equal(s.response.headers.get('access-control-allow-origin'), 'https://app.example');
        const id = await publishOk(hub.url, { topic: 'https://e.com/1', data: 'hello' });
        await s.waitForEvents(1);
        assert.equal(s.events[0]!.id, id);
        // --heartbeat 500: a comment arrives on the quiet stream.
        await s.waitFor(() => s.comments.length > 0, 5000, 'a heartbeat');
      } finally {
        await s.close();
      }
      const api = await fetch(`${hub.url}/.well-known/mercure/subscriptions`, { headers: { Authorization: `Bearer ${await sign({ mercure: { subscribe: ['*'] } })}` } });
      assert.equal(api.status, 200);
    } finally {
      assert.equal(await hub.stop(), 0);
    }
  });

  test('configured by environment variables, with an RS256 key file; anonymous off by default', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const keyFile = join(dir, 'publisher.pem');
    writeFileSync(keyFile, await exportSPKI(publicKey));
    const hub = await startHubProcess([], {
      EVENTIDE_HUB_PORT: '0',
      EVENTIDE_HUB_PUBLISHER_JWT_KEY: `@${keyFile}`,
      EVENTIDE_HUB_PUBLISHER_JWT_ALG: 'RS256',
      EVENTIDE_HUB_SUBSCRIBER_JWT_KEY: SECRET,
      EVENTIDE_HUB_HISTORY_SIZE: '5',
    });
    try {
      assert.equal((await fetch(subscribeUrl(hub.url, ['t']))).status, 401);
      const pub = await sign({ mercure: { publish: ['*'] } }, { key: privateKey, alg: 'RS256' });
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push(await publishOk(hub.url, { topic: 't', data: String(i) }, pub));
      assert.equal((await publish(hub.url, { topic: 't' }, await sign({ mercure: { publish: ['*'] } }))).status, 401);
      // --history-size 5: earliest replays the last five.
      const s = await openStream(subscribeUrl(hub.url, ['t'], { lastEventID: 'earliest' }), {
        headers: { Authorization: `Bearer ${await sign({ mercure: { subscribe: ['*'] } })}` },
      });
      try {
        await s.waitForEvents(5);
        assert.deepEqual(s.events.map((e) => e.id), ids.slice(3));
      } finally {
        await s.close();
      }
    } finally {
      await hub.stop();
    }
  });

  test('--max-streams-per-address bounds the subscriptions of one client (503)', async () => {
    const hub = await startHubProcess(['--port', '0', '--anonymous', '--max-streams-per-address', '1']);
    try {
      const first = await openStream(subscribeUrl(hub.url, ['t']));
      try {
        assert.equal(first.response.status, 200);
        const second = await fetch(subscribeUrl(hub.url, ['t']));
        assert.equal(second.status, 503);
        await second.arrayBuffer();
      } finally {
        await first.close();
      }
    } finally {
      assert.equal(await hub.stop(), 0);
    }
  });

  test('--tls-cert / --tls-key serve HTTPS', async () => {
    const exec = promisify(execFile);
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    const hub = await startHubProcess(['--port', '0', '--tls-cert', cert, '--tls-key', key, '--anonymous', '--jwt-key', SECRET]);
    try {
      assert.match(hub.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${hub.url}/.well-known/mercure`, { method: 'GET', ca: readFileSync(cert) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 400); // no topic: the hub answered over TLS
    } finally {
      assert.equal(await hub.stop(), 0);
    }
  });
});
