// The centre's storage behind one interface (docs/centre.md, "Storage"), the same SQL on both
// drivers: the terminal registry, the usage records (each (terminal id, sequence) once), the
// batches received, the issuer's hotlist change lists. A batch is stored in one transaction,
// wholly or not at all.
import { MIGRATIONS, SCHEMA_MIGRATIONS_TABLE } from '../migrations/index.js';
import type { UsageRecord } from '../../firmware/journal/record.js';
import { CentreError, REFUSAL } from '../errors.js';
import type { Row, SqlDatabase, SqlRunner } from './sql.js';

/** A terminal as the registry holds it: its certificate CT and what it certifies. */
export interface TerminalEntry {
  readonly terminalId: string;
  readonly certificate: Uint8Array; // CT, encoded (tag F2)
  readonly publicKey: Uint8Array; // nT
  readonly suite: number;
  readonly keyId: number;
  readonly validFrom: string; // YYYY-MM-DD
  readonly validTo: string;
  readonly registeredAt: number; // ms since epoch UTC
  /** The highest sequence S such that the centre holds 1..S. */
  readonly acknowledged: number;
  readonly lastUploadAt: number | null;
  readonly lastTerminalClock: number | null;
}

export interface IngestRecord {
  readonly record: UsageRecord;
  readonly bytes: Uint8Array; // as the terminal sent them
}

export interface IngestRequest {
  readonly terminalId: string;
  readonly nonce: Uint8Array;
  readonly terminalClock: number;
  readonly hotlistVersion: number;
  readonly receivedAt: number;
  readonly records: readonly IngestRecord[];
}

export interface IngestOutcome {
  /** S after this batch. */
  readonly acknowledged: number;
  /** Records stored by this batch. */
  readonly added: number;
  /** Records of the batch the centre held already (same bytes). */
  readonly duplicates: number;
}

export interface RegistrationTotal {
  readonly registrationNumber: string; // Nt
  readonly records: number;
  readonly fee: number; // yen
}

export interface TerminalSummary {
  readonly terminalId: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly acknowledged: number;
  readonly lastUploadAt: number | null;
  readonly lastTerminalClock: number | null;
  /** Records held. */
  readonly records: number;
  /** Sum of their fees V, yen. */
  readonly fees: number;
  readonly highestSequence: number;
  readonly cutShort: number;
  readonly batches: number;
  /** Records received in batches, duplicates included. */
  readonly recordsReceived: number;
}

/** Sequences from..to (inclusive) the centre does not hold below the highest it holds. */
export interface SequenceGap {
  readonly from: number;
  readonly to: number;
}

export interface ChangeListEntry {
  readonly version: number;
  readonly bytes: Uint8Array; // the DF02 TLV
}

const RECORD_COLUMNS = [
  'terminal_id', 'sequence', 'registration_number', 'card_number', 'started_at', 'fee', 'service_code',
  'duration_seconds', 'dialled', 'cut_short', 'continuation', 'bytes', 'received_at',
] as const;

function recordValues(terminalId: string, { record, bytes }: IngestRecord, receivedAt: number): unknown[] {
  return [
    terminalId, record.sequence, record.registrationNumber, record.cardNumber, record.startedAt, record.fee, record.serviceCode,
    record.durationSeconds, record.dialled, record.cutShort ? 1 : 0, record.continuation ? 1 : 0, bytes, receivedAt,
  ];
}

/** INSERT of `rows` records, each (terminal id, sequence) kept once; RETURNING the sequences it stored. */
function insertRecordsSql(rows: number): string {
  const row = `(${RECORD_COLUMNS.map(() => '?').join(', ')})`;
  return `INSERT INTO records (${RECORD_COLUMNS.join(', ')}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}
    ON CONFLICT (terminal_id, sequence) DO NOTHING RETURNING sequence`;
}

function bytesOf(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError('the database returned no bytes for a byte column');
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

const nullableNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function terminalEntry(row: Row): TerminalEntry {
  return {
    terminalId: String(row.terminal_id),
    certificate: bytesOf(row.certificate),
    publicKey: bytesOf(row.public_key),
    suite: Number(row.suite),
    keyId: Number(row.key_id),
    validFrom: String(row.valid_from),
    validTo: String(row.valid_to),
    registeredAt: Number(row.registered_at),
    acknowledged: Number(row.acknowledged),
    lastUploadAt: nullableNumber(row.last_upload_at),
    lastTerminalClock: nullableNumber(row.last_terminal_clock),
  };
}

/**
 * S for a terminal that held 1..`from`: the end of the run of held sequences from `from` + 1
 * (the first held sequence with no successor), or `from` when `from` + 1 is missing.
 */
async function contiguousEnd(tx: SqlRunner, terminalId: string, from: number): Promise<number> {
  const next = await tx.all('SELECT 1 AS held FROM records WHERE terminal_id = ? AND sequence = ?', [terminalId, from + 1]);
  if (next.length === 0) return from;
  const [row] = await tx.all(
    `SELECT MIN(r.sequence) AS last FROM records r WHERE r.terminal_id = ? AND r.sequence > ?
      AND NOT EXISTS (SELECT 1 FROM records n WHERE n.terminal_id = r.terminal_id AND n.sequence = r.sequence + 1)`,
    [terminalId, from],
  );
  return Number(row!.last);
}

export class CentreStore {
  readonly #db: SqlDatabase;

  private constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /** Opens the store on `db`, applying the migrations it lacks (recorded in schema_migrations). */
  static async open(db: SqlDatabase): Promise<CentreStore> {
    const store = new CentreStore(db);
    try {
      await store.#migrate();
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
    return store;
  }

  get kind(): SqlDatabase['kind'] {
    return this.#db.kind;
  }

  get description(): string {
    return this.#db.description;
  }

  async #migrate(): Promise<void> {
    await this.#db.run(SCHEMA_MIGRATIONS_TABLE);
    for (const migration of MIGRATIONS) {
      await this.#db.transaction(async (tx) => {
        await this.#db.lockForMigration(tx);
        const done = await tx.all('SELECT version FROM schema_migrations WHERE version = ?', [migration.version]);
        if (done.length > 0) return;
        for (const statement of migration.statements(this.#db.types)) await tx.run(statement);
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, new Date().toISOString()]);
      });
    }
    const [newest] = await this.#db.all('SELECT MAX(version) AS version FROM schema_migrations');
    const known = MIGRATIONS[MIGRATIONS.length - 1]!.version;
    if (Number(newest!.version) > known) {
      throw new Error(`the database has schema version ${String(newest!.version)}, this centre knows up to ${known}: run the newer centre`);
    }
  }

  /** Versions recorded in schema_migrations, in order. */
  async appliedMigrations(): Promise<number[]> {
    return (await this.#db.all('SELECT version FROM schema_migrations ORDER BY version')).map((row) => Number(row.version));
  }

  /**
   * Registers a terminal's certificate: `added`, `unchanged` for the same CT again, `replaced` for a
   * new CT of the same terminal (a renewal; S and the upload times are kept).
   */
  async putTerminal(entry: Omit<TerminalEntry, 'acknowledged' | 'lastUploadAt' | 'lastTerminalClock'>): Promise<'added' | 'unchanged' | 'replaced'> {
    return this.#db.transaction(async (tx) => {
      const [held] = await tx.all(`SELECT certificate FROM terminals WHERE terminal_id = ?${this.#db.lockRows}`, [entry.terminalId]);
      const values = [entry.certificate, entry.publicKey, entry.suite, entry.keyId, entry.validFrom, entry.validTo, entry.registeredAt, entry.terminalId];
      if (!held) {
        await tx.run('INSERT INTO terminals (certificate, public_key, suite, key_id, valid_from, valid_to, registered_at, terminal_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', values);
        return 'added';
      }
      if (sameBytes(bytesOf(held.certificate), entry.certificate)) return 'unchanged';
      await tx.run('UPDATE terminals SET certificate = ?, public_key = ?, suite = ?, key_id = ?, valid_from = ?, valid_to = ?, registered_at = ? WHERE terminal_id = ?', values);
      return 'replaced';
    });
  }

  async terminal(terminalId: string): Promise<TerminalEntry | null> {
    const [row] = await this.#db.all('SELECT * FROM terminals WHERE terminal_id = ?', [terminalId]);
    return row ? terminalEntry(row) : null;
  }

  async terminals(): Promise<TerminalEntry[]> {
    return (await this.#db.all('SELECT * FROM terminals ORDER BY terminal_id')).map(terminalEntry);
  }

  /**
   * Stores a batch of a registered terminal in one transaction: records not held yet are added,
   * records held with the same bytes are duplicates; S advances over what is now contiguous.
   * Throws CentreError conflicting-record (nothing of the batch stored) when a record is held with
   * other bytes, unknown-terminal when the terminal is not registered.
   */
  async ingest(request: IngestRequest): Promise<IngestOutcome> {
    return this.#db.transaction(async (tx) => {
      const { terminalId, records, receivedAt } = request;
      const [terminal] = await tx.all(`SELECT acknowledged FROM terminals WHERE terminal_id = ?${this.#db.lockRows}`, [terminalId]);
      if (!terminal) throw new CentreError(REFUSAL.UNKNOWN_TERMINAL, `terminal ${terminalId} is not registered`);
      // A check-in (no records) only asks for the hotlist and the time: nothing to insert.
      const inserted = records.length === 0 ? [] : await tx.all(insertRecordsSql(records.length), records.flatMap((record) => recordValues(terminalId, record, receivedAt)));
      const added = new Set(inserted.map((row) => Number(row.sequence)));
      const others = records.filter(({ record }) => !added.has(record.sequence));
      if (others.length > 0) {
        const held = await tx.all(
          `SELECT sequence, bytes FROM records WHERE terminal_id = ? AND sequence IN (${others.map(() => '?').join(', ')})`,
          [terminalId, ...others.map(({ record }) => record.sequence)],
        );
        const heldBytes = new Map(held.map((row) => [Number(row.sequence), bytesOf(row.bytes)]));
        for (const { record, bytes } of others) {
          const previous = heldBytes.get(record.sequence);
          if (!previous || !sameBytes(previous, bytes)) {
            throw new CentreError(REFUSAL.CONFLICTING_RECORD, `record ${record.sequence} of terminal ${terminalId} is held with other bytes; nothing of this batch was stored`);
          }
        }
      }
      const acknowledged = await contiguousEnd(tx, terminalId, Number(terminal.acknowledged));
      await tx.run('UPDATE terminals SET acknowledged = ?, last_upload_at = ?, last_terminal_clock = ? WHERE terminal_id = ?', [acknowledged, receivedAt, request.terminalClock, terminalId]);
      await tx.run(
        'INSERT INTO batches (terminal_id, nonce, received_at, terminal_clock, hotlist_version, record_count, new_records, acknowledged) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [terminalId, request.nonce, receivedAt, request.terminalClock, request.hotlistVersion, records.length, added.size, acknowledged],
      );
      return { acknowledged, added: added.size, duplicates: others.length };
    });
  }

  /**
   * Keeps hotlist version `version`: `added`, or `unchanged` when the same bytes are held. Throws
   * CentreError hotlist-version when it is not the version after the newest held, or when that
   * version is held with other bytes.
   */
  async putChangeList(version: number, bytes: Uint8Array, importedAt: number): Promise<'added' | 'unchanged'> {
    return this.#db.transaction(async (tx) => {
      const [same] = await tx.all('SELECT change_list FROM hotlist_versions WHERE version = ?', [version]);
      if (same) {
        if (sameBytes(bytesOf(same.change_list), bytes)) return 'unchanged';
        throw new CentreError(REFUSAL.HOTLIST_VERSION, `hotlist version ${version} is held with other bytes: the issuer signed two different version ${version}s`);
      }
      const newest = await this.#newestVersion(tx);
      if (version !== newest + 1) throw new CentreError(REFUSAL.HOTLIST_VERSION, `hotlist version ${version} does not follow the newest held, ${newest}: import version ${newest + 1} first`);
      await tx.run('INSERT INTO hotlist_versions (version, change_list, imported_at) VALUES (?, ?, ?)', [version, bytes, importedAt]);
      return 'added';
    });
  }

  async #newestVersion(runner: SqlRunner): Promise<number> {
    const [row] = await runner.all('SELECT MAX(version) AS version FROM hotlist_versions');
    return row?.version === null || row?.version === undefined ? 0 : Number(row.version);
  }

  /** The newest hotlist version held (0: none). */
  hotlistVersion(): Promise<number> {
    return this.#newestVersion(this.#db);
  }

  /** Change lists of versions above `version`, oldest first, at most `limit`. */
  async changeListsAfter(version: number, limit: number): Promise<ChangeListEntry[]> {
    const rows = await this.#db.all('SELECT version, change_list FROM hotlist_versions WHERE version > ? ORDER BY version LIMIT ?', [version, limit]);
    return rows.map((row) => ({ version: Number(row.version), bytes: bytesOf(row.change_list) }));
  }

  /** Records whose start D is in [from, to) ms. */
  async countRecords(from: number, to: number): Promise<number> {
    const [row] = await this.#db.all('SELECT COUNT(*) AS n FROM records WHERE started_at >= ? AND started_at < ?', [from, to]);
    return Number(row!.n);
  }

  /** Per registration number Nt, the records whose start D is in [from, to) ms and their fees (yen). */
  async totalsByRegistration(from: number, to: number): Promise<RegistrationTotal[]> {
    const rows = await this.#db.all(
      'SELECT registration_number, COUNT(*) AS records, SUM(fee) AS fee FROM records WHERE started_at >= ? AND started_at < ? GROUP BY registration_number',
      [from, to],
    );
    return rows.map((row) => ({ registrationNumber: String(row.registration_number), records: Number(row.records), fee: Number(row.fee) }));
  }

  /** What the centre holds of each terminal (or of one), for the reconciliation. */
  async terminalSummaries(terminalId?: string): Promise<TerminalSummary[]> {
    const where = terminalId === undefined ? '' : 'WHERE t.terminal_id = ?';
    const params = terminalId === undefined ? [] : [terminalId];
    const rows = await this.#db.all(
      `SELECT t.terminal_id, t.valid_from, t.valid_to, t.acknowledged, t.last_upload_at, t.last_terminal_clock,
        COUNT(r.sequence) AS records, COALESCE(SUM(r.fee), 0) AS fees, COALESCE(MAX(r.sequence), 0) AS highest,
        COALESCE(SUM(r.cut_short), 0) AS cut_short
      FROM terminals t LEFT JOIN records r ON r.terminal_id = t.terminal_id ${where}
      GROUP BY t.terminal_id ORDER BY t.terminal_id`,
      params,
    );
    const batchRows = await this.#db.all(
      `SELECT terminal_id, COUNT(*) AS batches, SUM(record_count) AS received FROM batches ${terminalId === undefined ? '' : 'WHERE terminal_id = ?'} GROUP BY terminal_id`,
      params,
    );
    const batches = new Map(batchRows.map((row) => [String(row.terminal_id), row]));
    return rows.map((row) => {
      const batch = batches.get(String(row.terminal_id));
      return {
        terminalId: String(row.terminal_id), validFrom: String(row.valid_from), validTo: String(row.valid_to),
        acknowledged: Number(row.acknowledged), lastUploadAt: nullableNumber(row.last_upload_at), lastTerminalClock: nullableNumber(row.last_terminal_clock),
        records: Number(row.records), fees: Number(row.fees), highestSequence: Number(row.highest), cutShort: Number(row.cut_short),
        batches: batch ? Number(batch.batches) : 0, recordsReceived: batch ? Number(batch.received) : 0,
      };
    });
  }

  /** The first `limit` runs of sequences missing below the highest held, from sequence 1. */
  async gaps(terminalId: string, limit: number): Promise<SequenceGap[]> {
    const rows = await this.#db.all(
      `SELECT previous + 1 AS gap_from, sequence - 1 AS gap_to FROM (
        SELECT sequence, LAG(sequence, 1, 0) OVER (ORDER BY sequence) AS previous FROM records WHERE terminal_id = ?
      ) AS runs WHERE sequence > previous + 1 ORDER BY sequence LIMIT ?`,
      [terminalId, limit],
    );
    return rows.map((row) => ({ from: Number(row.gap_from), to: Number(row.gap_to) }));
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
