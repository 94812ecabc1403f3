/// <reference types="node" />
// A progress bar for long CLI work (imports, bill runs over millions of records), on standard
// error so standard output stays the data. cli-progress draws only on a terminal; elsewhere (CI
// logs, pipes) nothing is drawn.
import cliProgress from 'cli-progress';

export interface Progress {
  /** `done` more units of the total are finished. */
  advance(done: number): void;
  stop(): void;
}

export const NO_PROGRESS: Progress = Object.freeze({ advance: () => undefined, stop: () => undefined });

/** A bar "label [====    ] 40% 4000/10000 unit" over `total` units. */
export function progressBar(label: string, total: number, unit: string): Progress {
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% {value}/{total} ${unit}, {eta_formatted} left`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return {
    advance: (done) => bar.increment(done),
    stop: () => bar.stop(),
  };
}
