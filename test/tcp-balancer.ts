// Owns a plain TCP load balancer for tests: round robin over loopback backends, no session affinity, a backend that
// refuses a connection is skipped. What an operator's balancer does in front of several relay processes.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface Balancer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 (port 0 = any free one) and forwards each connection whole to the next backend port that answers.
 * `first` picks where a new connection tries first (an index into backends); round robin by default.
 */
export async function startBalancer(backends: readonly number[], opts: { port?: number; first?: () => number } = {}): Promise<Balancer> {
  let rr = 0;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.pause();
    const start = opts.first ? opts.first() : rr++;
    const attempt = (tries: number) => {
      if (tries >= backends.length) return client.destroy();
      const upstream = connect(backends[(start + tries) % backends.length]!, '127.0.0.1');
      upstream.once('error', () => (upstream.remoteAddress ? client.destroy() : attempt(tries + 1)));
      upstream.once('connect', () => {
        open.add(upstream);
        upstream.once('close', () => (open.delete(upstream), client.destroy()));
        client.once('close', () => upstream.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const p = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${p}`,
    port: p,
    close: () =>
      new Promise((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}
