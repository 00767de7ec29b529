// Opens the archive store FEEDLINE_ARCHIVE names. Apart from the interface (./store.ts), which
// the stores implement, so that no store imports the module that chooses it.
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { directoryArchive } from './dir.js';
import { postgresArchive } from './postgres.js';
import type { ArchiveOptions, ArchiveStore } from './store.js';

export function openArchive(config: Pick<Config, 'archive' | 'home'>, db: Database, options: ArchiveOptions = {}): ArchiveStore {
  return config.archive === 'postgres' ? postgresArchive(db, config.home, options) : directoryArchive(config.home);
}
