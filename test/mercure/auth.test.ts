// Tokens: HS256, RS256 (PEM), a JWK Set served by a local server, and the tokens a hub must
// refuse: forged, expired, signed with another key, `alg: none`, the wrong algorithm, and the
// HMAC-with-the-public-key confusion. Then draft-08 access tokens (at+jwt, aud, authorization_details).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { openStream } from '../support/sse-client.js';
import { publish, sign, SECRET, startHub, subscribeUrl } from './helpers.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function publishStatus(url: string, token: string): Promise<number> {
  const res = await publish(url, { topic: 'https://e.com/t', data: 'x' }, token);
  await res.arrayBuffer();
  return res.status;
}

describe('HS256', () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  before(async () => (hub = await startHub()));
  after(() => hub.close());
  const claims = { mercure: { publish: ['*'] } };

  test('a token signed with the key publishes', async () => {
    assert.equal(await publishStatus(hub.url, await sign(claims)), 200);
  });

  test('refused with 401 invalid_token: forged, expired, other key, alg none, another algorithm, garbage', async () => {
    const good = await sign(claims);
    const [header, , signature] = good.split('.');
    const forged = `${header}.${b64({ mercure: { publish: ['*'] }, admin: true })}.${signature}`;
    const expired = await sign(claims, { exp: Math.floor(Date.now() / 1000) - 60 });
    const otherKey = await sign(claims, { key: 'another secret that is long enough!!' });
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    const hs512 = await sign(claims, { alg: 'HS512' });
    const notYet = await new (await import('jose')).SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setNotBefore('1h').sign(new TextEncoder().encode(SECRET));
    for (const [name, token] of Object.entries({ forged, expired, otherKey, none, hs512, notYet, garbage: 'a.b.c', empty: '' })) {
      const res = await publish(hub.url, { topic: 't' }, token);
      assert.equal(res.status, 401, name);
      if (token !== '') assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/, name);
      await res.arrayBuffer();
    }
  });

  test('the object form of the mercure claim ({ match, matchType }) grants what it matches', async () => {
    const topicStatus = async (mercure: object, topic: string) => {
      const res = await publish(hub.url, { topic, data: 'x' }, await sign({ mercure }));
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await topicStatus({ publish: [{ match: '*' }] }, 'https://e.com/anything'), 200);
    const books = { publish: [{ match: 'https://e.com/books/:id', matchType: 'URLPattern' }, { match: 'https://e.com/a/{x}', matchType: 'URITemplate' }] };
    assert.equal(await topicStatus(books, 'https://e.com/books/1'), 200);
    assert.equal(await topicStatus(books, 'https://e.com/a/b'), 200);
    assert.equal(await topicStatus(books, 'https://e.com/books/1/x'), 403);
    assert.equal(await topicStatus({ publish: [{ match: 'https://e.com/exact' }] }, 'https://e.com/exact'), 200);
    assert.equal(await topicStatus({ publish: [{ match: 'https://e.com/exact' }] }, 'https://e.com/exact2'), 403);
  });

  test('a malformed mercure claim is an invalid token', async () => {
    const malformed = ['*', { publish: '*' }, { publish: [1] }, { publish: ['a\u0000'] }, { publish: [{ matchType: 'Exact' }] },
      { publish: [{ match: '*', matchType: 'Regexp' }] }, { publish: [{ match: 'https://e.com/:a+', matchType: 'URLPattern' }] }, { publish: [null] }];
    for (const mercure of malformed) {
      assert.equal(await publishStatus(hub.url, await sign({ mercure })), 401, JSON.stringify(mercure));
    }
  });
});

describe('RS256 with a PEM public key, separate subscriber key', () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  let privateKey: CryptoKey;
  let publicPem: string;
  let subscriberPrivate: CryptoKey;
  before(async () => {
    ({ privateKey, publicKey: publicPem } = await generateKeyPair('RS256', { extractable: true }).then(async (k) => ({ privateKey: k.privateKey, publicKey: await exportSPKI(k.publicKey) })));
    const sub = await generateKeyPair('ES256', { extractable: true });
    subscriberPrivate = sub.privateKey;
    hub = await startHub({
      publisherJwt: { key: publicPem, alg: 'RS256' },
      subscriberJwt: { key: await exportSPKI(sub.publicKey), alg: 'ES256' },
      anonymous: false,
    });
  });
  after(() => hub.close());

  test('publishes with RS256; refuses HS256 signed with the public key as secret (algorithm confusion)', async () => {
    assert.equal(await publishStatus(hub.url, await sign({ mercure: { publish: ['*'] } }, { key: privateKey, alg: 'RS256' })), 200);
    assert.equal(await publishStatus(hub.url, await sign({ mercure: { publish: ['*'] } }, { key: publicPem, alg: 'HS256' })), 401);
    assert.equal(await publishStatus(hub.url, await sign({ mercure: { publish: ['*'] } })), 401);
  });

  test('the subscriber key is not a publisher key, and the other way round', async () => {
    const subscriberToken = await sign({ mercure: { publish: ['*'], subscribe: ['*'] } }, { key: subscriberPrivate, alg: 'ES256' });
    assert.equal(await publishStatus(hub.url, subscriberToken), 401);
    const s = await openStream(subscribeUrl(hub.url, ['t']), { headers: { Authorization: `Bearer ${subscriberToken}` } });
    try {
      assert.equal(s.response.status, 200);
    } finally {
      await s.close();
    }
    const publisherToken = await sign({ mercure: { subscribe: ['*'] } }, { key: privateKey, alg: 'RS256' });
    const refused = await fetch(subscribeUrl(hub.url, ['t']), { headers: { Authorization: `Bearer ${publisherToken}` } });
    assert.equal(refused.status, 401);
  });

  test('a PEM key configured with an HMAC algorithm is refused at start-up', async () => {
    const { createMercureHub } = await import('../../src/mercure/index.js');
    assert.throws(() => createMercureHub({ publisherJwt: { key: publicPem, alg: 'HS256' } }), { code: 'EVENTIDE_INVALID_OPTION' });
    assert.throws(() => createMercureHub({ publisherJwt: { key: 'x', alg: 'none' } }), { code: 'EVENTIDE_INVALID_OPTION' });
    assert.throws(() => createMercureHub({ publisherJwt: {} }), { code: 'EVENTIDE_INVALID_OPTION' });
  });
});

describe('a JWK Set served over HTTP', () => {
  let jwksServer: Server;
  let hub: Awaited<ReturnType<typeof startHub>>;
  let current: CryptoKey;
  let stranger: CryptoKey;
  let requests = 0;
  before(async () => {
    const a = await generateKeyPair('RS256', { extractable: true });
    const b = await generateKeyPair('RS256', { extractable: true });
    current = a.privateKey;
    stranger = b.privateKey;
    const jwk = { ...(await exportJWK(a.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwksServer = createServer((req, res) => {
      requests++;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const { port } = jwksServer.address() as AddressInfo;
    hub = await startHub({ publisherJwt: { jwksUrl: `http://127.0.0.1:${port}/jwks.json` } });
  });
  after(async () => {
    await hub.close();
    jwksServer.closeAllConnections();
    await new Promise((r) => jwksServer.close(r));
  });

  test('a token whose kid is in the set publishes; one signed by another key does not', async () => {
    const { SignJWT } = await import('jose');
    const good = await new SignJWT({ mercure: { publish: ['*'] } }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(current);
    const bad = await new SignJWT({ mercure: { publish: ['*'] } }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(stranger);
    const unknownKid = await new SignJWT({ mercure: { publish: ['*'] } }).setProtectedHeader({ alg: 'RS256', kid: 'k9' }).sign(current);
    assert.equal(await publishStatus(hub.url, good), 200);
    assert.equal(await publishStatus(hub.url, bad), 401);
    assert.equal(await publishStatus(hub.url, unknownKid), 401);
    assert.ok(requests >= 1, 'the JWK Set was fetched');
  });
});

describe('draft-08 access tokens', () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  before(async () => (hub = await startHub({ audience: 'https://hub.example/.well-known/mercure' })));
  after(() => hub.close());
  const aud = 'https://hub.example/.well-known/mercure';
  const details = (actions: string[], match: string, matchType?: string) => [{ type: 'mercure', actions, topics: [{ match, ...(matchType ? { matchType } : {}) }] }];

  test('at+jwt with aud, exp and authorization_details publishes to the topics it names', async () => {
    const token = await sign({ aud, authorization_details: details(['publish'], 'https://e.com/t') }, { typ: 'at+jwt', exp: '5m' });
    assert.equal(await publishStatus(hub.url, token), 200);
    const other = await publish(hub.url, { topic: 'https://e.com/other' }, token);
    assert.equal(other.status, 403);
  });

  test('refused: without exp, without our aud, with malformed details, with an unknown matchType', async () => {
    const noExp = await sign({ aud, authorization_details: details(['publish'], '*') }, { typ: 'at+jwt' });
    const wrongAud = await sign({ aud: 'https://other', authorization_details: details(['publish'], '*') }, { typ: 'at+jwt', exp: '5m' });
    const badAction = await sign({ aud, authorization_details: [{ type: 'mercure', actions: ['delete'], topics: [{ match: '*' }] }] }, { typ: 'at+jwt', exp: '5m' });
    const badType = await sign({ aud, authorization_details: details(['publish'], '*', 'Regex') }, { typ: 'at+jwt', exp: '5m' });
    for (const [name, token] of Object.entries({ noExp, wrongAud, badAction, badType })) assert.equal(await publishStatus(hub.url, token), 401, name);
  });

  test('subscribe rights from authorization_details open private updates, and match= selects topics', async () => {
    const reader = await sign({ aud: [aud, 'x'], authorization_details: details(['subscribe'], 'https://e.com/books/1') }, { typ: 'at+jwt', exp: '5m' });
    const s = await openStream(`${hub.url}/.well-known/mercure?match=${encodeURIComponent('https://e.com/books/1')}&match=${encodeURIComponent('https://e.com/books/2')}`, {
      headers: { Authorization: `Bearer ${reader}` },
    });
    try {
      await (await publish(hub.url, { topic: 'https://e.com/books/2', data: 'hidden', private: 'on' })).text();
      await (await publish(hub.url, { topic: 'https://e.com/books/1', data: 'mine', private: 'on' })).text();
      await (await publish(hub.url, { topic: 'https://e.com/books/2', data: 'public' })).text();
      await s.waitForEvents(2);
      assert.deepEqual(s.events.map((e) => e.data), ['mine', 'public']);
    } finally {
      await s.close();
    }
  });
});
