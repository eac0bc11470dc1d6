// Test helpers for HTTP/2: a fetch-like request over node:http2 (one session per request, so that a
// client that does not read holds only its own flow-control windows), and a self-signed certificate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type SecureClientSessionOptions } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { RunningTarget } from './target.js';

type RequestInitLite = Parameters<RunningTarget['request']>[1];

/** Makes a fetch-like function that sends each request on a fresh HTTP/2 session to `origin`. */
export function http2Fetch(origin: string, connectOptions: SecureClientSessionOptions = {}) {
  const sessions = new Set<ClientHttp2Session>();
  const request = async (path: string, init: RequestInitLite = {}): Promise<Response> => {
    // Flow-control windows like a browser's (Chromium: 6 MiB per stream, 15 MiB per session);
    // node's default 64 KiB would make the client, not the server, the bottleneck.
    const session = connect(origin, { ...connectOptions, settings: { initialWindowSize: 6 * 1024 * 1024, ...connectOptions.settings } });
    session.once('connect', () => session.setLocalWindowSize(15 * 1024 * 1024));
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.on('error', () => undefined);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = { ':method': method, ':path': path };
    for (const [name, value] of Object.entries(init.headers ?? {})) headers[name.toLowerCase()] = value;
    const stream = session.request(headers, { endStream: init.body === undefined });
    stream.on('error', () => undefined);
    if (init.body !== undefined) stream.end(init.body);
    stream.once('close', () => session.close());
    const cancel = () => {
      if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    };
    if (init.signal?.aborted) cancel();
    init.signal?.addEventListener('abort', cancel, { once: true });
    const head = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('close', () => reject(new Error(`HTTP/2 stream closed before a response (code ${stream.rstCode})`)));
    });
    const status = Number(head[':status']);
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(head)) {
      if (name.startsWith(':') || value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [String(value)]) responseHeaders.append(name, v);
    }
    if (status === 204 || status === 304 || method === 'HEAD') {
      // No body may come: any byte that does is kept, so a test reading text() sees it (and a
      // null-body status with bytes fails loudly here).
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      await new Promise<void>((resolve) => stream.once('close', () => resolve()));
      if (chunks.length > 0 && status !== 200) throw new Error(`status ${status} came with a body of ${Buffer.concat(chunks).length} bytes`);
      return new Response(chunks.length > 0 ? Buffer.concat(chunks) : null, { status, headers: responseHeaders });
    }
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers: responseHeaders });
  };
  return {
    request,
    /** Destroys every session still open. */
    closeAll() {
      for (const session of sessions) session.destroy();
    },
  };
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'eventide-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
