// The load generator: raw node:net sockets sending a plain HTTP/1.1 GET and counting events by the
// `"seq":` key that every benchmark payload carries exactly once (so heartbeats, retry fields and
// protocol events such as a hub's anchor are not counted), whatever the transfer encoding. A few
// sampled connections also parse the publish time for latency.
import net from 'node:net';
import { nowUs } from './lib/clock.mjs';

const MARK = '"seq":';
const MARK_BUF = Buffer.from(MARK);
const TAIL = MARK.length - 1;
const SHARED = Buffer.allocUnsafe(256 * 1024);

let port = 0;
let conns = [];
let slow = [];
let allSocks = [];
let total = 0;
let samples = [];
let waiter = null; // { target, resolve, timer }
let lastArrival = 0;

function countData(c, buf, start, end) {
  if (end <= start) return 0;
  let k = 0;
  if (c.tail.length) {
    // A mark split across two reads: it starts in the carried tail and ends in this read.
    const j = c.tail + buf.latin1Slice(start, Math.min(end, start + TAIL));
    if (j.includes(MARK)) k++;
  }
  const view = buf.subarray(start, end);
  let p = view.indexOf(MARK_BUF);
  while (p !== -1) {
    k++;
    p = view.indexOf(MARK_BUF, p + MARK.length);
  }
  c.tail = end - start >= TAIL ? buf.latin1Slice(end - TAIL, end) : (c.tail + buf.latin1Slice(start, end)).slice(-TAIL);
  return k;
}

function sampleLatency(c, buf, start, end) {
  const now = nowUs();
  let s = c.carry + buf.latin1Slice(start, end);
  const last = s.lastIndexOf('\n\n');
  if (last === -1) { c.carry = s; return; }
  c.carry = s.slice(last + 2);
  s = s.slice(0, last);
  let p = s.indexOf('"t":');
  while (p !== -1) {
    const t = parseInt(s.slice(p + 4, p + 24), 10);
    if (t > 0) samples.push((now - t) / 1000);
    p = s.indexOf('"t":', p + 4);
  }
}

function onBytes(c, buf, n) {
  let start = 0;
  if (!c.headerDone) {
    c.hdr += buf.latin1Slice(0, n);
    const idx = c.hdr.indexOf('\r\n\r\n');
    if (idx === -1) {
      if (c.hdr.length > 16384) c.sock.destroy();
      return;
    }
    c.headerDone = true;
    c.status = Number(c.hdr.slice(9, 12));
    start = n - (c.hdr.length - (idx + 4));
    c.hdr = '';
    c.onHeaders?.(c.status);
  }
  const k = countData(c, buf, start, n);
  if (c.sampled) sampleLatency(c, buf, start, n);
  if (k === 0) return;
  c.count += k;
  if (c.reader) {
    total += k;
    lastArrival = nowUs();
    if (waiter && total >= waiter.target) finishWait(true);
  }
}

function finishWait(done) {
  const w = waiter;
  waiter = null;
  clearTimeout(w.timer);
  w.resolve({ done, total, target: w.target, tDone: lastArrival, ...minMax() });
}

function minMax() {
  let min = Infinity, max = 0, closed = 0;
  for (const c of conns) {
    if (c.count < min) min = c.count;
    if (c.count > max) max = c.count;
    if (c.closed) closed++;
  }
  return { minPerConn: conns.length ? min : 0, maxPerConn: max, closed };
}

function open(path, { sampled = false, reader = true, paused = false } = {}) {
  return new Promise((resolve) => {
    const c = { sock: null, count: 0, tail: '', hdr: '', headerDone: false, status: 0, sampled, carry: '',
      reader, closed: false, error: null, onHeaders: null };
    const opts = { host: '127.0.0.1', port };
    if (!paused) opts.onread = { buffer: SHARED, callback: (n, buf) => { onBytes(c, buf, n); } };
    const sock = net.connect(opts);
    c.sock = sock;
    allSocks.push(sock);
    let settled = false;
    const settle = (ok) => { if (!settled) { settled = true; resolve({ c, ok }); } };
    c.onHeaders = (status) => settle(status === 200);
    sock.setNoDelay(true);
    sock.on('connect', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`);
      if (paused) {
        sock.pause();
        settle(true); // never reads, so it never sees the headers either
      }
    });
    if (paused) sock.on('data', (chunk) => onBytes(c, chunk, chunk.length));
    sock.on('error', (err) => { c.error = err.code ?? String(err); settle(false); });
    sock.on('close', () => { c.closed = true; settle(false); });
  });
}

const handlers = {
  async connect(msg) {
    port = msg.port;
    const { n, path, concurrency = 200, sampleEvery = 0, deadlineMs = 60000 } = msg;
    const t0 = nowUs();
    let next = 0, ok = 0, failed = 0;
    const deadline = Date.now() + deadlineMs;
    await new Promise((resolve) => {
      let inflight = 0;
      let finished = false;
      const finish = () => { if (!finished) { finished = true; clearTimeout(timer); resolve(); } };
      const timer = setTimeout(finish, deadlineMs);
      const pump = () => {
        while (!finished && inflight < concurrency && next < n) {
          const i = next++;
          inflight++;
          open(path, { sampled: sampleEvery > 0 && i % sampleEvery === 0 }).then(({ c, ok: good }) => {
            inflight--;
            if (good) { ok++; conns.push(c); } else failed++;
            if (next < n && Date.now() < deadline) pump();
            else if (inflight === 0) finish();
          });
        }
      };
      pump();
    });
    const t1 = nowUs();
    return { ok, failed, attempted: next, ms: (t1 - t0) / 1000, ratePerS: ok / ((t1 - t0) / 1e6) };
  },
  async connectSlow(msg) {
    port = msg.port;
    const { c, ok } = await open(msg.path, { reader: false, paused: true });
    slow.push(c);
    return { ok };
  },
  async reset() {
    total = 0;
    samples = [];
    for (const c of conns) c.count = 0;
    return {};
  },
  async expect({ target, deadlineMs }) {
    if (total >= target) return { done: true, total, target, tDone: lastArrival, ...minMax() };
    return new Promise((resolve) => {
      waiter = { target, resolve, timer: setTimeout(() => finishWait(false), deadlineMs) };
    });
  },
  async counts() {
    return { total, ...minMax(), tLast: lastArrival };
  },
  async latency() {
    const s = Float64Array.from(samples).sort();
    const q = (f) => (s.length ? s[Math.min(s.length - 1, Math.floor(f * s.length))] : NaN);
    return { n: s.length, p50: q(0.5), p99: q(0.99), max: s.length ? s[s.length - 1] : NaN };
  },
  async drainSlow({ expected, deadlineMs }) {
    // Start reading the slow client(s): how much did the server keep for them, and is it still open?
    const out = [];
    for (const c of slow) {
      const closedBefore = c.closed;
      c.sock.resume();
      const deadline = Date.now() + deadlineMs;
      while (!c.closed && c.count < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      out.push({ received: c.count, status: c.status, closedBefore, closed: c.closed, error: c.error });
    }
    return { slow: out };
  },
  async closeAll() {
    for (const sock of allSocks) {
      if (!sock.destroyed) sock.resetAndDestroy();
    }
    allSocks = [];
    conns = [];
    slow = [];
    total = 0;
    samples = [];
    return {};
  },
};

process.on('message', async (msg) => {
  try {
    const r = await handlers[msg.cmd](msg);
    process.send({ id: msg.id, ok: true, ...r });
  } catch (err) {
    process.send({ id: msg.id, ok: false, error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, pid: process.pid });
