// Owns the image blob storage contract: the small interface a blob backend (SQLite now) implements, apart from the mailbox's.

/** An encrypted image blob as the relay keeps it: opaque bytes, stored once, readable only by its recipients. */
export interface NewBlob {
  /** base64url SHA-256 of `data` (checked by the relay before it stores). */
  id: string;
  from: string;
  data: Uint8Array;
  to: readonly string[];
  /** When it goes, whoever has not fetched it (the mailbox's time to live). */
  expires: number;
}

export interface BlobStore {
  /**
   * Stores a blob and lets each of `to` read it. A blob is kept once by its id: storing one that is already there
   * (the same bytes, as the id is their hash) only adds recipients and extends its expiry.
   */
  put(blob: NewBlob): void;
  /** Adds recipients to a blob `from` stored; false (nothing changed) when `from` stores no blob by that id. */
  addRecipients(id: string, from: string, to: readonly string[], expires: number): boolean;
  /** Bytes of unexpired blobs `from` stores (the sender quota). */
  senderBytes(from: string, now: number): number;
  /** Up to `len` bytes of blob `id` from `at`, and its whole size, if it is unexpired and meant for `recipient`. */
  read(id: string, recipient: string, at: number, len: number, now: number): { size: number; data: Uint8Array } | undefined;
  /** `recipient` holds these now: they are no longer kept for it, and a blob no one else waits for is deleted. */
  ack(recipient: string, ids: readonly string[]): number;
  /** Unexpired blobs and their bytes (for metrics and tests). */
  stats(now: number): { blobs: number; bytes: number };
  /** Deletes expired blobs and scrubs their bytes from the disk; returns how many. */
  purgeExpired(now: number): number;
  close(): void;
}
