// Reconciliation per terminal: what the centre holds (records, fees, S, the sequences it lacks)
// against the terminal's own counts. A terminal numbers its records 1, 2, 3, ... and never reuses
// a number, so its count is in the sequences: every number below the highest one it sent is a
// record it wrote, and a missing one is a gap the next uploads must fill. When the terminal's own
// totals are at hand (records written and fees, read at the terminal), they are compared too.
import type { CentreStore, SequenceGap, TerminalSummary } from './store/store.js';

/** Gaps listed per terminal at most (the count of missing records is always whole). */
export const GAPS_LISTED = 100;

/** The terminal's own totals: records it has written (its last sequence) and their fees, yen. */
export interface TerminalStatement {
  readonly records: number;
  readonly fees: number;
}

export interface TerminalReconciliation extends TerminalSummary {
  /** Sequences below the highest held that the centre lacks. */
  readonly missing: number;
  readonly gaps: readonly SequenceGap[];
  /** Records the terminal sent again that the centre held already. */
  readonly duplicatesReceived: number;
  /** Against the terminal's own totals, when given: what the centre lacks (0 and 0 when they agree). */
  readonly statement?: TerminalStatement & { readonly recordsLacking: number; readonly feesLacking: number };
}

export async function reconcile(store: CentreStore, terminalId?: string, statement?: TerminalStatement): Promise<TerminalReconciliation[]> {
  const summaries = await store.terminalSummaries(terminalId);
  const out: TerminalReconciliation[] = [];
  for (const summary of summaries) {
    const missing = summary.highestSequence - summary.records;
    out.push({
      ...summary,
      missing,
      gaps: missing === 0 ? [] : await store.gaps(summary.terminalId, GAPS_LISTED),
      duplicatesReceived: summary.recordsReceived - summary.records,
      ...(statement ? { statement: { ...statement, recordsLacking: statement.records - summary.records, feesLacking: statement.fees - summary.fees } } : {}),
    });
  }
  return out;
}

/** For people: one block per terminal. */
export function reconciliationText(lines: readonly TerminalReconciliation[], currency: string): string {
  if (lines.length === 0) return 'no terminals registered\n';
  return lines.map((t) => {
    const text = [
      `terminal ${t.terminalId} (certificate valid ${t.validFrom} to ${t.validTo})`,
      `  records held: ${t.records} (sequences 1..${t.highestSequence} sent), fees ${t.fees} ${currency}, cut short by the power: ${t.cutShort}`,
      `  acknowledged S: ${t.acknowledged}; missing below ${t.highestSequence}: ${t.missing}${t.gaps.length > 0 ? ` (${t.gaps.map((g) => (g.from === g.to ? `${g.from}` : `${g.from}-${g.to}`)).join(', ')}${t.missing > 0 && t.gaps.length === GAPS_LISTED ? ', ...' : ''})` : ''}`,
      `  batches: ${t.batches}, records received ${t.recordsReceived} of which duplicates ${t.duplicatesReceived}`,
      `  last upload: ${t.lastUploadAt === null ? 'never' : new Date(t.lastUploadAt).toISOString()}${t.lastTerminalClock === null ? '' : `, terminal clock ${t.lastTerminalClock === 0 ? 'never set' : new Date(t.lastTerminalClock).toISOString()}`}`,
    ];
    if (t.statement) {
      const agrees = t.statement.recordsLacking === 0 && t.statement.feesLacking === 0;
      text.push(`  terminal's own count: ${t.statement.records} records, ${t.statement.fees} ${currency}: ${agrees ? 'agrees' : `centre lacks ${t.statement.recordsLacking} records, ${t.statement.feesLacking} ${currency}`}`);
    }
    return text.join('\n');
  }).join('\n\n') + '\n';
}
