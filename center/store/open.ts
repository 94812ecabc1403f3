// Opens the centre's store from a database URL: `sqlite:PATH` (or a plain file path) for the
// embedded default, `postgres://user@host:port/database` for PostgreSQL.
import { CentreStore } from './store.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';
import type { SqlDatabase } from './sql.js';

/** The driver for `url`; throws TypeError naming the forms it takes. */
export function databaseFor(url: string): SqlDatabase {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new TypeError(`database "${url}": use sqlite:PATH or postgres://user@host:port/database`);
  return openSqlite(url);
}

/** The store on `url`, migrated to the current schema. */
export function openStore(url: string): Promise<CentreStore> {
  return CentreStore.open(databaseFor(url));
}
