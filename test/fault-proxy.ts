// Owns a fault-injecting TCP proxy for tests, on loopback: forwards each connection to one target, and on demand resets
// every open link (a cut cable, a firewall's RST), refuses new links until healed. Between a relay and its database.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface FaultProxy {
  /** Where to connect instead of the target (127.0.0.1). */
  readonly port: number;
  /** Links forwarded, reset by drop(), and refused while cut. */
  readonly stats: { forwarded: number; dropped: number; refused: number };
  /** Resets every open link, both ends, now; returns how many. New links are still forwarded. */
  drop(): number;
  /** Resets every open link and every new one until heal(). */
  cut(): number;
  /** Forwards new links again. */
  heal(): void;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port) and forwards to `targetPort` on 127.0.0.1. */
export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const links = new Set<readonly [Socket, Socket]>();
  const stats = { forwarded: 0, dropped: 0, refused: 0 };
  let cut = false;
  // A link still connecting is only destroyed: resetAndDestroy() would wait to reset it once connected, and the target
  // may be down (one such reset was the suspect in a test process left spinning after its tests passed).
  const reset = (s: Socket) => (s.destroyed ? undefined : s.connecting ? s.destroy() : s.resetAndDestroy());
  const server = createServer((client) => {
    if (cut) return void (stats.refused++, client.on('error', () => {}), reset(client));
    stats.forwarded++;
    const upstream = connect(targetPort, '127.0.0.1'); // writes wait in its buffer until it is connected
    const link = [client, upstream] as const;
    links.add(link);
    const close = () => (links.delete(link), client.destroy(), upstream.destroy()); // either end gone: the other goes too
    for (const s of link) s.once('close', close).on('error', close);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const drop = () => {
    const n = links.size;
    for (const link of [...links]) (links.delete(link), link.forEach(reset));
    stats.dropped += n;
    return n;
  };
  return {
    port: (server.address() as AddressInfo).port,
    stats,
    drop,
    cut: () => ((cut = true), drop()),
    heal: () => void (cut = false),
    close: () => new Promise((r) => (drop(), server.close(() => r()))),
  };
}
