// Owns the measure of what the relay holds for one connection that is not reading: bytes queued in engine.io's write
// buffer plus the WebSocket's own send buffer. The signal forwarder refuses to add to a connection over its bound.

/** The few engine.io internals read here (engine.io 6: Socket.writeBuffer; ws: WebSocket.bufferedAmount). */
interface EngineConn {
  writeBuffer?: readonly { data?: unknown }[];
  transport?: { socket?: { bufferedAmount?: unknown } };
}

const sizeOf = (data: unknown): number => (typeof data === 'string' ? data.length : data instanceof Uint8Array ? data.byteLength : 0);

/**
 * Bytes waiting to go out to `conn`, counted up to just over `bound` (the loop stops there, so a connection that has
 * stopped reading costs at most bound / smallest frame steps). A reading connection's write buffer is empty: O(1).
 */
export function pendingBytes(conn: unknown, bound = Infinity): number {
  const c = conn as EngineConn;
  const ws = c.transport?.socket?.bufferedAmount;
  let n = typeof ws === 'number' ? ws : 0;
  for (const p of c.writeBuffer ?? []) {
    if (n > bound) break;
    n += sizeOf(p.data);
  }
  return n;
}
