// Migration 1: the terminal registry, the usage records, the batches received and the issuer's
// hotlist change lists. One schema for both drivers; `types` gives the column types each names
// differently (docs/centre.md, "Storage").
import type { Migration } from './index.js';

export const initial: Migration = Object.freeze<Migration>({
  version: 1,
  name: 'registry, records, batches, hotlist',
  statements: (types) => [
    `CREATE TABLE terminals (
      terminal_id TEXT PRIMARY KEY,
      certificate ${types.bytes} NOT NULL,
      public_key ${types.bytes} NOT NULL,
      suite INTEGER NOT NULL,
      key_id INTEGER NOT NULL,
      valid_from TEXT NOT NULL,
      valid_to TEXT NOT NULL,
      registered_at ${types.int64} NOT NULL,
      acknowledged ${types.int64} NOT NULL DEFAULT 0,
      last_upload_at ${types.int64},
      last_terminal_clock ${types.int64}
    )`,
    `CREATE TABLE records (
      terminal_id TEXT NOT NULL REFERENCES terminals (terminal_id),
      sequence ${types.int64} NOT NULL,
      registration_number TEXT NOT NULL,
      card_number ${types.bytes} NOT NULL,
      started_at ${types.int64} NOT NULL,
      fee ${types.int64} NOT NULL,
      service_code INTEGER NOT NULL,
      duration_seconds ${types.int64} NOT NULL,
      dialled TEXT NOT NULL,
      cut_short INTEGER NOT NULL,
      continuation INTEGER NOT NULL,
      bytes ${types.bytes} NOT NULL,
      received_at ${types.int64} NOT NULL,
      PRIMARY KEY (terminal_id, sequence)
    )`,
    'CREATE INDEX records_started_at ON records (started_at)',
    `CREATE TABLE batches (
      id ${types.serial},
      terminal_id TEXT NOT NULL REFERENCES terminals (terminal_id),
      nonce ${types.bytes} NOT NULL,
      received_at ${types.int64} NOT NULL,
      terminal_clock ${types.int64} NOT NULL,
      hotlist_version ${types.int64} NOT NULL,
      record_count INTEGER NOT NULL,
      new_records INTEGER NOT NULL,
      acknowledged ${types.int64} NOT NULL
    )`,
    'CREATE INDEX batches_terminal ON batches (terminal_id)',
    `CREATE TABLE hotlist_versions (
      version ${types.int64} PRIMARY KEY,
      change_list ${types.bytes} NOT NULL,
      imported_at ${types.int64} NOT NULL
    )`,
  ],
});
