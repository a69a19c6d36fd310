// Owns the relay's HTTP edge: the plain or TLS server with its limits and timeouts, one guarded dispatcher for every request and upgrade, /healthz, and named answers to malformed requests.
import { STATUS_CODES, createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Duplex } from 'node:stream';
import { guarded } from './guard.js';
import type { Logger } from './log.js';
import { failure, serveFile, type Reply, type Site } from './static.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A node:http (or, with `tls`, node:https) server. Slow or half-open clients are cut off: headers must arrive
 * within 10 s and a whole request within 30 s (Socket.IO's long-polls wait on the response, not the request).
 * Request line plus headers are capped at 16 KiB (Node's default), answered 431.
 */
export function createRelayServer(opts: { tls?: TlsFiles; log: Logger; onRequest: Handler }): Server {
  // Node checks both timeouts every connectionsCheckingInterval (30 s by default): check often enough to mean them.
  const options = { headersTimeout: 10_000, requestTimeout: 30_000, maxHeaderSize: 16 * 1024, connectionsCheckingInterval: 2_000 };
  const onRequest: Handler = opts.tls
    ? (req, res) => {
        res.setHeader('strict-transport-security', 'max-age=31536000'); // this host speaks HTTPS: browsers should insist
        opts.onRequest(req, res);
      }
    : opts.onRequest;
  const server: Server = opts.tls
    ? (createHttps({ ...options, cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: 10_000 }, onRequest) as unknown as Server)
    : createHttp(options, onRequest);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    opts.log.debug('malformed http request', { code: err.code });
    // A failed or timed-out TLS handshake has no HTTP to answer in (an HTTP reply would leave the socket open), and a
    // response already under way on this socket (a pipelined request, a long-poll) must not get a second one mixed in.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || /^ERR_(TLS|SSL)_/.test(err.code ?? '') || inFlight) return void socket.destroy();
    const reply = err.code === 'HPE_HEADER_OVERFLOW' ? failure(431, 'oversize', 'request line and headers must fit in 16 KiB')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? failure(408, 'bad-request', 'request took too long')
      : failure(400, 'bad-request', 'malformed HTTP request');
    socket.end(rawReply(reply));
  });
  // CONNECT (a proxy tunnel) would otherwise be closed without a word.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    socket.end(rawReply(failure(405, 'bad-method', 'this is not a proxy')));
  });
  if (opts.tls) server.on('tlsClientError', (err: NodeJS.ErrnoException) => opts.log.debug('tls handshake failed', { code: err.code }));
  return server;
}

/** A reply written straight onto a socket, for requests Node's parser never turned into a request object. */
function rawReply(reply: Reply): string {
  const body = String(reply.body);
  return `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * Re-wraps every 'request' and 'upgrade' listener on the server (Socket.IO's engine among them, which attaches
 * its own) in one guard: whatever throws in any of them becomes a logged 500, or a closed socket for an upgrade.
 * Call it once, after everything that listens has attached.
 */
export function guardServer(server: Server, log: Logger): void {
  for (const event of ['request', 'upgrade'] as const) {
    const listeners = server.listeners(event) as ((...a: unknown[]) => void)[];
    if (!listeners.length) continue;
    server.removeAllListeners(event);
    server.on(event, guarded(log, `http ${event}`, (...args: unknown[]) => {
      const pending = listeners.map((l) => l.apply(server, args) as unknown).filter((r) => r instanceof Promise);
      return pending.length ? Promise.all(pending) : undefined;
    }, (_e, _req, resOrSocket) => {
      if (event === 'upgrade') return void (resOrSocket as Duplex).destroy();
      const res = resOrSocket as ServerResponse;
      if (res.headersSent) return void res.destroy();
      write(res, failure(500, 'internal', 'internal error'));
    }));
  }
}

/** The path of a request target (origin-form or absolute-form, RFC 9112 §3.2), undecoded; undefined if unusable. */
export function requestPath(target: string | undefined): string | undefined {
  if (!target) return undefined;
  if (target.startsWith('/')) return target.replace(/[?#].*$/s, '');
  try {
    const path = new URL(target).pathname;
    return path.startsWith('/') ? path : undefined; // `x:index.html` has a path, but not one of this server's
  } catch {
    return undefined;
  }
}

const write = (res: ServerResponse, reply: Reply) => res.writeHead(reply.status, reply.headers).end(reply.body);

/** Everything the relay answers over plain HTTP that is not Socket.IO: /healthz and the built client. */
export function clientHandler(site: Site, health: () => Record<string, unknown>, log: Logger): Handler {
  return (req, res) => {
    const reply = answer(site, health, req);
    if (reply.error) (reply.status >= 500 ? log.error : log.debug)('http request refused', { status: reply.status, code: reply.error.code, method: req.method?.slice(0, 16) });
    write(res, reply);
  };
}

const ALLOW = 'GET, HEAD, OPTIONS';

function answer(site: Site, health: () => Record<string, unknown>, req: IncomingMessage): Reply {
  const path = requestPath(req.url);
  if (path === undefined) return failure(400, 'bad-request', 'unusable request target');
  const method = req.method ?? '';
  if (method === 'OPTIONS') return { status: 204, headers: { allow: ALLOW, 'access-control-allow-origin': '*', 'access-control-allow-methods': ALLOW } };
  if (method !== 'GET' && method !== 'HEAD') return failure(405, 'bad-method', `${method.slice(0, 16)} is not served here`, { allow: ALLOW });
  if (path === '/healthz') return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify({ ok: true, ...health() }) };
  return serveFile(site, { method, path, headers: req.headers });
}
