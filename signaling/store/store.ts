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
   * A refused row gets { error: BwError('quota') } in its place (the other rows are still stored): when its sender
   * already has `senderQuota` unexpired rows waiting for that recipient, or when the recipient's whole queue holds
   * `queueQuota`. Each has its own message. Rows earlier in the same call or group commit count toward both limits.
   */
  putMany(rows: readonly { to: string; from: string; env: string; expires: number }[]): Promise<({ id: number } | { error: import('../../shared/errors.js').BwError })[]>;
  /** Up to `limit` unexpired rows for `to` with id > after, oldest first. */
  fetch(to: string, after: number, limit: number, now: number): StoredItem[];
  /** Deletes acknowledged rows; only `to`'s own rows can be deleted. */
  ack(to: string, ids: readonly number[]): number;
  count(to: string, now: number): number;
  /** Unexpired rows waiting across every mailbox (the mailbox-depth metric; read on scrape, not per frame). */
  depth(now: number): number;
  /**
   * Replaces `recipient`'s allow list: the SHA-256 tags of the mailbox capabilities it accepts. Durable at the next
   * checkpoint, not at once: clients send their list again on every connect.
   */
  setAllowed(recipient: string, tags: readonly string[]): void;
  /** Whether `recipient` has `tag` on its allow list. */
  isAllowed(recipient: string, tag: string): boolean;
  /** Deletes expired rows, and scrubs deleted rows' bytes from the disk (journals included); returns how many. */
  purgeExpired(now: number): number;
  close(): void;
}
