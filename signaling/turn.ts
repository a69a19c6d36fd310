// Owns ICE configuration for clients, with TURN REST API credentials (the scheme coturn's use-auth-secret checks).
import { createHmac } from 'node:crypto';
import type { IceServer } from '../shared/protocol.js';
import type { Config } from './config.js';

/**
 * draft-uberti-behave-turn-rest-00 §2.2: username = "<expiry unix seconds>:<user id>",
 * password = base64(HMAC-SHA1(shared secret, username)). The secret itself never leaves the relay.
 */
export function turnCredential(secret: string, userId: string, nowMs: number, ttlSeconds: number): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

export function iceServersFor(config: Pick<Config, 'iceServers' | 'turnUrls' | 'turnSecret' | 'turnTtlSeconds'>, userId: string, nowMs: number): IceServer[] {
  const out: IceServer[] = config.iceServers.map((s) => ({ ...s }));
  if (config.turnUrls.length && config.turnSecret) {
    out.push({ urls: [...config.turnUrls], ...turnCredential(config.turnSecret, userId, nowMs, config.turnTtlSeconds) });
  }
  return out;
}
