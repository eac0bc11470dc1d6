// A small node:http server for the WPT port: the page, the bundle, and Node versions of the Python
// handlers the eventsource/ tests call (resources/*.py, /common/handlers/redirect.py). Every host
// name reaches it: Chromium maps *.wpt.test to 127.0.0.1, so `wpt.test`, `www2.wpt.test` and
// `xn--lve-6lad.wpt.test` are three origins of one site.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { build } from 'esbuild';

export const SITE = 'wpt.test';

/** Bundles entry.ts (eventide's client, the harness and the ported tests) for the page. */
export async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [new URL('./entry.ts', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome110',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** Query parameters as bytes, decoded as Python's query parser does ('+' is a space). */
function queryOf(url: URL): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const raw = url.search.slice(1);
  if (raw === '') return out;
  for (const part of raw.split('&')) {
    const eq = part.indexOf('=');
    const key = decodeBytes(eq === -1 ? part : part.slice(0, eq)).toString('latin1');
    if (!out.has(key)) out.set(key, decodeBytes(eq === -1 ? '' : part.slice(eq + 1)));
  }
  return out;
}

function decodeBytes(text: string): Buffer {
  const bytes: number[] = [];
  const plain = text.replace(/\+/g, ' ');
  for (let i = 0; i < plain.length; i++) {
    const hex = plain.slice(i + 1, i + 3);
    if (plain[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(plain[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function cookiesOf(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return out;
}

function setCookie(res: ServerResponse, name: string, value: string, expired = false): void {
  const previous = res.getHeader('set-cookie');
  const list = Array.isArray(previous) ? previous : previous === undefined ? [] : [String(previous)];
  const cookie = `${name}=${value}; Path=/${expired ? '; Expires=Thu, 01 Jan 1970 00:00:00 GMT' : ''}`;
  res.setHeader('set-cookie', [...list, cookie]);
}

const text = (value: Buffer | undefined, fallback: string) => (value === undefined ? fallback : value.toString('latin1'));

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  query: Map<string, Buffer>;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer = ''): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.writeHead(status);
  res.end(body);
}

const PAGE = (head: string, body = '') =>
  `<!doctype html><meta charset="utf-8"><title>eventsource</title><script src="/wpt-harness.js"></script>${head}<body>${body}`;

type Handler = (x: Exchange) => void | Promise<void>;

// Allowed-origin headers of cors.py: the `origin` query parameter or the request's Origin, and
// `credentials` (default "true").
function corsHeaders({ req, query, res }: Exchange): void {
  res.setHeader('access-control-allow-origin', text(query.get('origin'), req.headers.origin ?? ''));
  res.setHeader('access-control-allow-credentials', text(query.get('credentials'), 'true'));
}

const message: Handler = async ({ res, query }) => {
  const sleep = Number(text(query.get('sleep'), '0'));
  if (sleep > 0) await new Promise((resolve) => setTimeout(resolve, sleep));
  const newline = text(query.get('newline'), '') === 'none' ? '' : '\n\n';
  const body = Buffer.concat([query.get('message') ?? Buffer.from('data: data'), Buffer.from(`${newline}\n`)]);
  send(res, 200, { 'content-type': text(query.get('mime'), 'text/event-stream') }, body);
};

// Three events written over several chunks, with comments and an empty data field among them.
const message2: Handler = async ({ res }) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunks = [': a comment first\n', 'data:msg\n', 'data:msg\n\n', ':\n', 'data:\n\n', 'falsefield:msg\n\n', 'falsefield:msg\n', 'data:end\n\n'];
  for (const chunk of chunks) {
    res.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  res.end();
};

const statusReconnect: Handler = ({ req, res, query }) => {
  const status = text(query.get('status'), '204');
  const name = `request${text(query.get('id'), status)}`;
  if (cookiesOf(req).get(name) === status) {
    setCookie(res, name, '', true);
    send(res, 200, { 'content-type': 'text/event-stream' }, 'data: data\n\n');
    return;
  }
  setCookie(res, name, `${status}; HttpOnly`);
  send(res, Number(status), { 'content-type': 'text/event-stream' }, `retry: 2\n${query.has('ok_first') ? 'data: ok\n\n' : ''}`);
};

const reconnectFail: Handler = ({ req, res, query }) => {
  const name = `recon_fail_${text(query.get('id'), '')}`;
  const state = cookiesOf(req).get(name);
  if (state === 'opened') {
    setCookie(res, name, 'reconnected');
    send(res, 200, { 'content-type': 'text/event-stream' }, 'data: reconnected\n\n');
  } else if (state === 'reconnected') {
    setCookie(res, name, '', true);
    send(res, 204, { 'content-type': 'text/event-stream' });
  } else {
    setCookie(res, name, 'opened');
    send(res, 200, { 'content-type': 'text/event-stream' }, 'retry: 2\ndata: opened\n\n');
  }
};

const statusError: Handler = ({ res, query }) => {
  const status = Number(text(query.get('status'), '404'));
  send(res, status, { 'content-type': 'text/event-stream' }, status === 204 || status === 205 ? '' : 'data: data\n\n');
};

const redirect: Handler = ({ res, query }) => {
  send(res, Number(text(query.get('status'), '302')), { location: text(query.get('location'), '/') });
};

const cacheControl: Handler = ({ req, res }) => {
  send(res, 200, { 'content-type': 'text/event-stream' }, `data: ${req.headers['cache-control'] ?? ''}\n\n`);
};

const cors: Handler = (x) => {
  corsHeaders(x);
  const run = text(x.query.get('run'), '');
  if (run === 'message') return message(x);
  if (run === 'status-reconnect') return statusReconnect(x);
  if (run === 'redirect') return redirect(x);
  if (run === 'cache-control') return cacheControl(x);
  send(x.res, 200, {});
};

const accept: Handler = ({ req, res }) => {
  send(res, 200, { 'content-type': 'text/event-stream' }, `data: ${req.headers.accept ?? ''}\n\n`);
};

// Echoes Last-Event-ID (as bytes) once there is one; the first answer sets the id `idvalue`.
const lastEventId: Handler = ({ req, res, query }) => {
  const header = req.headers['last-event-id'];
  res.setHeader('content-type', 'text/event-stream');
  if (header) {
    send(res, 200, {}, Buffer.concat([Buffer.from('data: '), Buffer.from(String(header), 'latin1'), Buffer.from('\n\n')]));
    return;
  }
  const id = query.get('idvalue') ?? Buffer.from('…');
  send(res, 200, {}, Buffer.concat([Buffer.from('id: '), id, Buffer.from('\nretry: 200\ndata: hello\n\n')]));
};

const lastEventId2: Handler = ({ res, query }) => {
  const bodies: Record<string, string> = {
    '1': 'id: 1\ndata: 1\n\ndata:2\n\n',
    '2': 'id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n',
    '3': 'id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n',
  };
  send(res, 200, { 'content-type': 'text/event-stream' }, bodies[text(query.get('type'), '1')] ?? 'data: invalid_test\n\n');
};

const corsCookie: Handler = ({ req, res, query }) => {
  const id = req.headers['last-event-id'] ?? '';
  const ident = text(query.get('ident'), 'test');
  const cookie = cookiesOf(req).has(ident) ? 'COOKIE' : 'NO_COOKIE';
  const origin = text(query.get('origin'), req.headers.origin ?? '');
  const credentials = text(query.get('credentials'), 'true');
  if (origin !== 'none') res.setHeader('access-control-allow-origin', origin);
  if (credentials !== 'none') res.setHeader('access-control-allow-credentials', credentials);
  if (id === '') {
    setCookie(res, ident, 'COOKIE');
    send(res, 200, { 'content-type': 'text/event-stream' }, `id: 1\nretry: 200\ndata: first ${cookie}\n\n`);
  } else if (id === '1') {
    setCookie(res, ident, 'COOKIE', true);
    send(res, 200, { 'content-type': 'text/event-stream' }, `id: 2\ndata: second ${cookie}\n\n`);
  } else {
    send(res, 200, { 'content-type': 'stop' }, `data: ${id}${cookie}\n\n`);
  }
};

// Which ids need a preflight: `long` (over 128 bytes) and `unsafe` (a CORS-unsafe byte) do.
const UNSAFE_IDS: Record<string, string> = { safe: 'abc', unsafe: 'e5p3n<3k0k0s', long: 'a'.repeat(255) };
const preflights = new Map<string, string>();

const corsUnsafeLastEventId: Handler = ({ req, res, query }) => {
  const origin = req.headers.origin;
  const requested = req.headers['access-control-request-headers'];
  if (origin !== undefined) res.setHeader('access-control-allow-origin', origin);
  if (requested !== undefined) res.setHeader('access-control-allow-headers', requested);
  const token = query.get('token')?.toString('latin1');
  const fixture = query.get('fixture')?.toString('latin1');
  if (token === undefined || fixture === undefined) {
    send(res, 400, { 'content-type': 'text/plain' }, 'token and fixture are required');
    return;
  }
  const id = req.headers['last-event-id'] ?? '';
  const event = (type: string, data: string) => send(res, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' }, `event: ${type}\ndata: ${data}\n\n`);
  if (req.method === 'OPTIONS') {
    // A preflight carries no Last-Event-ID itself; it names it in Access-Control-Request-Headers.
    preflights.set(token, requested ?? '');
    send(res, 200, {});
    return;
  }
  const expected = UNSAFE_IDS[fixture];
  if (expected === undefined) return event('failure', 'unknown fixture');
  if (id === '') {
    send(res, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' }, `id: ${expected}\nretry: 200\ndata: ${fixture}\n\n`);
    return;
  }
  const preflight = preflights.get(token);
  preflights.delete(token);
  const expectPreflight = fixture !== 'safe';
  if (preflight !== undefined && !expectPreflight) return event('failure', 'saw a preflight, expected none');
  if (preflight === undefined && expectPreflight) return event('failure', 'expected a preflight, saw none');
  if (preflight !== undefined && preflight.toLowerCase() !== 'last-event-id') return event('failure', `the preflight asked for ${preflight}`);
  event(id === expected ? 'success' : 'failure', `got ${id}, expected ${expected}`);
};

// Echoes the request's headers (cookies left out) as JSON pairs in order; the first answer sets an id
// so that the reconnect carries Last-Event-ID. Answers CORS preflights with what they ask for.
const echoHeaders: Handler = ({ req, res }) => {
  if (req.headers.origin !== undefined) {
    res.setHeader('access-control-allow-origin', req.headers.origin);
    res.setHeader('access-control-allow-credentials', 'true');
  }
  if (req.method === 'OPTIONS') {
    const requested = req.headers['access-control-request-headers'];
    if (requested !== undefined) res.setHeader('access-control-allow-headers', requested);
    send(res, 204, {});
    return;
  }
  const pairs: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (name !== 'cookie') pairs.push([name, req.rawHeaders[i + 1]!]);
  }
  const first = req.headers['last-event-id'] === undefined;
  send(res, 200, { 'content-type': 'text/event-stream' }, `${first ? 'id: 7\nretry: 20\n' : ''}data: ${JSON.stringify(pairs)}\n\n`);
};

const routes: Record<string, Handler> = {
  '/eventide/echo-headers': echoHeaders,
  '/eventsource/resources/message.py': message,
  '/eventsource/resources/message.php': message,
  '/eventsource/resources/message2.py': message2,
  '/eventsource/resources/status-reconnect.py': statusReconnect,
  '/eventsource/resources/reconnect-fail.py': reconnectFail,
  '/eventsource/resources/status-error.py': statusError,
  '/eventsource/resources/cors.py': cors,
  '/eventsource/resources/cors-cookie.py': corsCookie,
  '/eventsource/resources/cors-unsafe-last-event-id.py': corsUnsafeLastEventId,
  '/eventsource/resources/last-event-id.py': lastEventId,
  '/eventsource/resources/last-event-id2.py': lastEventId2,
  '/eventsource/resources/accept.py': accept,
  '/eventsource/resources/cache-control.event_stream': cacheControl,
  '/common/handlers/redirect.py': redirect,
  '/common/redirect.py': redirect,
};

export interface WptServer {
  port: number;
  /** The page that runs one ported test file with one implementation. */
  pageUrl(file: string, impl: 'native' | 'eventide'): string;
  close(): Promise<void>;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function startWptServer(harness: string): Promise<WptServer> {
  const closed = await closedPort();
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const x: Exchange = { req, res, url, query: queryOf(url) };
    const path = url.pathname;
    try {
      if (path === '/wpt-harness.js') {
        send(res, 200, { 'content-type': 'text/javascript; charset=utf-8' }, harness);
      } else if (path === '/eventsource/run.html') {
        const file = JSON.stringify(url.searchParams.get('case') ?? '');
        send(res, 200, { 'content-type': 'text/html; charset=utf-8' }, PAGE('', `<script>wpt.run(${file})</script>`));
      } else if (path === '/eventsource/resources/init.htm') {
        send(res, 200, { 'content-type': 'text/html; charset=utf-8' }, PAGE('', '<script>onload = () => parent.init()</script>'));
      } else if (path === '/eventsource/resources/eventsource-onmessage-realm.htm') {
        send(res, 200, { 'content-type': 'text/html; charset=utf-8' }, PAGE(''));
      } else if (routes[path]) {
        Promise.resolve(routes[path](x)).catch(() => res.destroy());
      } else {
        send(res, 404, { 'content-type': 'text/plain' }, 'not found');
      }
    } catch {
      res.destroy();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    pageUrl: (file, impl) => `http://${SITE}:${port}/eventsource/run.html?impl=${impl}&closed=${closed}&case=${encodeURIComponent(file)}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
