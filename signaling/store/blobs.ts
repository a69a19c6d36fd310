// Owns the image blob storage contract: the small interface every blob backend (SQLite, PostgreSQL) implements, apart from the mailbox's.
// Every method is async, as MailboxStore's are: PostgreSQL answers over a socket; SQLite answers at once.
import { BwError } from '../../shared/errors.js';

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

/** The refusal of a blob that would take its sender over `quota` bytes (`used` already kept): one message for every backend. */
export const blobQuotaError = (used: number, quota: number): BwError =>
  new BwError('quota', `you keep ${used} bytes of images on this relay; at most ${quota} until friends fetch them`);

export interface BlobStore {
  /**
   * Stores a blob and lets each of `to` read it. A blob is kept once by its id: storing one that is already there
   * (the same bytes, as the id is their hash) only adds recipients and extends its expiry. A new blob that would take
   * its sender's bytes unexpired at `now` over `senderQuota` is refused with blobQuotaError, counted atomically with
   * the insert (across every relay process sharing the store).
   */
  put(blob: NewBlob, senderQuota: number, now: number): Promise<void>;
  /** Adds recipients to a blob `from` stored; false (nothing changed) when `from` stores no blob by that id. */
  addRecipients(id: string, from: string, to: readonly string[], expires: number): Promise<boolean>;
  /** Bytes of unexpired blobs `from` stores (the sender quota). */
  senderBytes(from: string, now: number): Promise<number>;
  /** Up to `len` bytes of blob `id` from `at`, and its whole size, if it is unexpired and meant for `recipient`. */
  read(id: string, recipient: string, at: number, len: number, now: number): Promise<{ size: number; data: Uint8Array } | undefined>;
  /** `recipient` holds these now: they are no longer kept for it, and a blob no one else waits for is deleted. */
  ack(recipient: string, ids: readonly string[]): Promise<number>;
  /** Unexpired blobs and their bytes (for metrics and tests). */
  stats(now: number): Promise<{ blobs: number; bytes: number }>;
  /**
   * Deletes expired blobs; returns how many. SQLite also scrubs their bytes from the disk; PostgreSQL leaves them to
   * VACUUM, which frees the space but does not overwrite it.
   */
  purgeExpired(now: number): Promise<number>;
  close(): Promise<void>;
}
