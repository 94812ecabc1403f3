// The centre's schema as numbered migrations, applied in order when a store opens and recorded in
// schema_migrations (version, name, applied_at), so a database is brought up to date once and a
// newer schema is never touched by older code. Add a migration as the next number; never edit one
// that has shipped.
import { initial } from './001-initial.js';

/** Column types the two drivers spell differently. */
export interface ColumnTypes {
  /** Byte strings: BLOB in SQLite, BYTEA in PostgreSQL. */
  readonly bytes: string;
  /** 64-bit integers (ms since epoch, yen, sequences): INTEGER in SQLite, BIGINT in PostgreSQL. */
  readonly int64: string;
  /** An auto-numbered primary key column. */
  readonly serial: string;
}

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** The statements, in order, for a driver's column types; run in one transaction. */
  readonly statements: (types: ColumnTypes) => readonly string[];
}

export const MIGRATIONS: readonly Migration[] = Object.freeze([initial]);

export const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;
