// What the centre's store needs of a SQL database, so one store (store.ts) runs on both drivers:
// SQLite through better-sqlite3 (sqlite.ts) and PostgreSQL through pg (postgres.ts). Statements
// use `?` placeholders; the PostgreSQL driver numbers them.
import type { ColumnTypes } from '../migrations/index.js';

export type Row = Readonly<Record<string, unknown>>;

export interface SqlRunner {
  /** The rows of a query. */
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement; returns how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface SqlDatabase extends SqlRunner {
  readonly kind: 'sqlite' | 'postgres';
  readonly types: ColumnTypes;
  /** Where the data is, for logs (no password). */
  readonly description: string;
  /** Appended to a SELECT inside a transaction to lock the rows it reads until commit ('' where the whole database is locked). */
  readonly lockRows: string;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws (the
   * error is rethrown). Transactions on one database object run one at a time.
   */
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** Inside a migration transaction: waits until no other process migrates the same database. */
  lockForMigration(tx: SqlRunner): Promise<void>;
  close(): Promise<void>;
}

/** Runs promises' work one after another (better-sqlite3 has one connection, so one transaction at a time). */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(work, work);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
