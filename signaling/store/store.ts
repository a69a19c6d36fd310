// Owns the mailbox storage contract: the one small interface every backend (SQLite, PostgreSQL) implements.
// Every method is async: PostgreSQL answers over a socket; SQLite answers at once.

/** A stored sealed post, opaque to the relay. */
export interface StoredItem {
  id: number;
  from: string;
  env: string;
}

export interface MailboxStore {
  /**
   * Stores rows durably; resolves only once they are on disk, in order, with their ids.
   * A refused row gets { error: BwError('quota') } in its place (the other rows are still stored): when its sender
   * already has `senderQuota` unexpired rows waiting for that recipient, or when the recipient's whole queue holds
   * `queueQuota`. Each has its own message. Rows earlier in the same call or group commit count toward both limits.
   */
  putMany(rows: readonly { to: string; from: string; env: string; expires: number }[]): Promise<({ id: number } | { error: import('../../shared/errors.js').BwError })[]>;
  /** Up to `limit` unexpired rows for `to` with id > after, oldest first. */
  fetch(to: string, after: number, limit: number, now: number): Promise<StoredItem[]>;
  /** Deletes acknowledged rows; only `to`'s own rows can be deleted. */
  ack(to: string, ids: readonly number[]): Promise<number>;
  count(to: string, now: number): Promise<number>;
  /** Unexpired rows waiting across every mailbox (the mailbox-depth metric; read on scrape, not per frame). */
  depth(now: number): Promise<number>;
  /**
   * Replaces `recipient`'s allow list: the SHA-256 tags of the mailbox capabilities it accepts. May be durable only at
   * the next checkpoint (SQLite), not at once: clients send their list again on every connect.
   */
  setAllowed(recipient: string, tags: readonly string[]): Promise<void>;
  /** Whether `recipient` has `tag` on its allow list. */
  isAllowed(recipient: string, tag: string): Promise<boolean>;
  /**
   * Deletes expired rows; returns how many. SQLite also scrubs deleted rows' bytes from the disk (journals included);
   * PostgreSQL leaves them to VACUUM, which frees the space but does not overwrite it.
   */
  purgeExpired(now: number): Promise<number>;
  /** Stores whatever puts are still queued, then closes. */
  close(): Promise<void>;
}
