// The PostgreSQL driver (pg 8), for operators who outgrow one machine: a connection pool, each
// transaction on its own client at READ COMMITTED; the store locks a terminal's registry row
// (SELECT ... FOR UPDATE) so that one terminal's batches are stored one at a time.
import pg from 'pg';
import type { Row, SqlDatabase, SqlRunner } from './sql.js';

/** `?` placeholders as PostgreSQL's $1, $2, ... (the store's SQL has no `?` inside strings). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A 64-bit integer (pg gives BIGINT and SUM as strings) as a number; every value the centre keeps is below 2^53. */
function int64(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`integer ${text} from PostgreSQL is beyond 2^53`);
  return value;
}

const MIGRATION_LOCK = 8470_0001; // pg_advisory_xact_lock key: one migrating process at a time

function runnerOf(client: pg.Pool | pg.PoolClient): SqlRunner {
  return {
    all: async (sql, params = []) => (await client.query({ text: numbered(sql), values: [...params], types: TYPES })).rows as Row[],
    run: async (sql, params = []) => (await client.query({ text: numbered(sql), values: [...params], types: TYPES })).rowCount ?? 0,
  };
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const TYPES = {
  getTypeParser: ((oid: number, format?: string) => (oid === INT8_OID || oid === NUMERIC_OID ? int64 : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

/** `url`: postgres://user[:password]@host:port/database. */
export function openPostgres(url: string): SqlDatabase {
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  pool.on('error', () => undefined); // an idle client's connection dropped: the next query reconnects
  const where = new URL(url);
  return {
    kind: 'postgres',
    types: { bytes: 'BYTEA', int64: 'BIGINT', serial: 'BIGSERIAL PRIMARY KEY' },
    description: `PostgreSQL ${where.hostname}:${where.port || 5432}${where.pathname}`,
    lockRows: ' FOR UPDATE',
    ...runnerOf(pool),
    async transaction(work) {
      const client = await pool.connect();
      let failure: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(runnerOf(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        failure = error as Error;
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release(failure); // a client whose transaction failed is closed, not reused: its connection may be broken
      }
    },
    lockForMigration: async (tx) => {
      await tx.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    },
    close: () => pool.end(),
  };
}
