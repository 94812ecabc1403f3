// The SQLite driver (better-sqlite3 12, the embedded default): one connection in WAL mode,
// statements prepared once, transactions BEGIN IMMEDIATE (so two centre processes on one file
// wait for each other instead of failing at commit) and one at a time within this process.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Serial, type Row, type SqlDatabase, type SqlRunner } from './sql.js';

const BUSY_TIMEOUT_MS = 10_000;

export function openSqlite(path: string): SqlDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL'); // an answered batch is on disk: the terminal frees its flash after the answer
  db.pragma('foreign_keys = ON');
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const runner: SqlRunner = {
    all: async (sql, params = []) => prepare(sql).all(...params) as Row[],
    run: async (sql, params = []) => prepare(sql).run(...params).changes,
  };
  const serial = new Serial();
  return {
    kind: 'sqlite',
    types: { bytes: 'BLOB', int64: 'INTEGER', serial: 'INTEGER PRIMARY KEY AUTOINCREMENT' },
    description: `SQLite ${path}`,
    lockRows: '',
    ...runner,
    transaction: (work) => serial.run(async () => {
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(runner);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    }),
    lockForMigration: async () => undefined, // BEGIN IMMEDIATE already holds the write lock
    close: async () => {
      db.close();
    },
  };
}
