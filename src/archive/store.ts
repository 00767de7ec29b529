// The raw archive seam: every caller (fetch, ingest, replay, recovery, retention) goes
// through an ArchiveStore, chosen by FEEDLINE_ARCHIVE. `dir` keeps files under
// FEEDLINE_HOME (the embedded default: one host, or a volume shared by every process);
// `postgres` keeps them in the database, so a worker on any host needs nothing but
// DATABASE_URL to re-parse a run. A third store (an S3-compatible bucket) fits the same
// interface (./open.ts picks one).
import type { Readable } from 'node:stream';

export const ARCHIVE_KINDS = ['dir', 'postgres'] as const;
export type ArchiveKind = (typeof ARCHIVE_KINDS)[number];

export interface StoredFile {
  sha256: string;
  bytes: number;
  /** What the run ledger records as `archive_path`: a file path (dir) or `postgres:<sha256>`. */
  location: string;
}

export interface ArchiveStore {
  readonly kind: ArchiveKind;
  /** Stores the stream by content, hashing as it goes; the same bytes again only count as a new delivery. */
  put(source: Readable): Promise<StoredFile>;
  /** Stores a local file (an operator's ingest), streaming it in. */
  putFile(localPath: string): Promise<StoredFile>;
  /**
   * Downloads land here before they are stored: a local file the ingest then stores. In the
   * directory store this is the archive itself; in the others a working copy under FEEDLINE_HOME.
   */
  stage(source: Readable): Promise<StoredFile>;
  /** Whether the archive still holds these bytes. */
  has(file: ArchivedRef): Promise<boolean>;
  /** The bytes, streamed out a chunk at a time. */
  open(file: ArchivedRef): Promise<Readable>;
  /**
   * A local path holding the bytes, for the parsers (which read a file more than once):
   * the archived file itself (dir), or a verified working copy streamed out of the store.
   */
  localCopy(file: ArchivedRef): Promise<string>;
  /** Deletes files last delivered over `retentionDays` ago, except `keep`; returns their sha256. */
  prune(retentionDays: number, keep: ReadonlySet<string>, now?: number): Promise<string[]>;
}

/** A file as the run ledger knows it. */
export interface ArchivedRef {
  sha256: string;
  location: string;
}

export interface ArchiveOptions {
  /** Bytes per stored chunk (postgres store); tests use small chunks to count them. */
  chunkBytes?: number;
}
