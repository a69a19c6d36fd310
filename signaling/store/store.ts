// Owns the mailbox storage contract: the one small interface every backend (SQLite now, PostgreSQL later) implements.

/** A stored sealed post, opaque to the relay. */
export interface StoredItem {
  id: number;
  from: string;
  env: string;
}

export interface MailboxStore {
  /**
   * Stores rows durably; resolves only once they are on disk, in order, with their ids.
   * Throws BwError('quota') for a row whose recipient queue is full (other rows still stored).
   */
  putMany(rows: readonly { to: string; from: string; env: string; expires: number }[]): Promise<({ id: number } | { error: import('../../shared/errors.js').BwError })[]>;
  /** Up to `limit` unexpired rows for `to` with id > after, oldest first. */
  fetch(to: string, after: number, limit: number, now: number): StoredItem[];
  /** Deletes acknowledged rows; only `to`'s own rows can be deleted. */
  ack(to: string, ids: readonly number[]): number;
  count(to: string, now: number): number;
  /** Deletes expired rows; returns how many. */
  purgeExpired(now: number): number;
  close(): void;
}
