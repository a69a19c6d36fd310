// Owns how the relay opens an SQLite file: where it lives, and the durability and scrubbing every relay database keeps.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Opens `<dataDir>/<file>` (`dataDir` ':memory:' for a throwaway database) with WAL and synchronous=FULL (a write is
 * acknowledged only once on disk) and secure_delete (a deleted row's bytes are overwritten, not just unlinked; the WAL
 * still holds page images until a checkpoint, which the mailbox's purge forces every minute).
 */
export function openSqliteFile(dataDir: string, file: string): Database.Database {
  let path = ':memory:';
  if (dataDir !== ':memory:') {
    mkdirSync(dataDir, { recursive: true });
    path = join(dataDir, file);
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  return db;
}
