// Scripted and interactive sessions on a real reader (`npm start -- --reader pcsc`): keys and
// waits go to the terminal as with the simulated slot, but a person (or the virtual card) puts
// the card in and takes it out, so "insert NAME" waits until the reader holds a card (the
// name is not used: the card is whatever is in the reader) and "remove" until it is empty.
import type { PcscReader } from '../../hal/pcsc/reader.js';
import type { TerminalRig } from '../../hal/sim/rig.js';
import { runScript, type ScriptStep } from '../../hal/sim/script.js';

export async function runScriptOnReader(
  rig: TerminalRig,
  reader: PcscReader,
  steps: readonly ScriptStep[],
  onStep: (step: ScriptStep) => void = () => {},
  log: (line: string) => void = () => {},
): Promise<void> {
  for (const step of steps) {
    if (step.kind === 'insert') {
      onStep(step);
      // A card already in the reader was taken in when the terminal started or after the last removal.
      if (reader.cardPresent) continue;
      log(`waiting for a card in "${reader.name}" (script line ${step.line}; for the virtual card: npm run virtual-card -- --card FILE)`);
      await rig.settle(reader.whenPresent());
    } else if (step.kind === 'remove') {
      onStep(step);
      if (!reader.cardPresent) continue;
      log(`waiting for the card to leave "${reader.name}" (script line ${step.line}): take it out, or stop the virtual card`);
      await rig.settle(reader.whenAbsent());
    } else {
      await runScript(rig, [step], () => undefined, onStep);
    }
  }
}
