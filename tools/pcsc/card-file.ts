// A card image file (icc-card-image/1) as the virtual card's chip: loaded once, written back
// whole after each command that programmed EEPROM, through a temporary file and a rename, so a
// crash mid-save leaves the previous state, never half of one.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { decodeCardImage, encodeCardImage } from '../../card/image.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { jsonText, readJsonFile, SECRET_FILE_MODE, writeNewFile } from '../../issuer/files.js';

export interface CardFile {
  readonly path: string;
  readonly card: SimCard;
  /** Writes the card's EEPROM back to the file (atomically, keeping the file's mode). */
  save(): void;
}

export function openCardFile(path: string): CardFile {
  const image = decodeCardImage(readJsonFile(path));
  const card = SimCard.fromImage(image, (length) => new Uint8Array(randomBytes(length)));
  return {
    path,
    card,
    save() {
      let mode = SECRET_FILE_MODE; // the image holds the card's secrets
      try {
        mode = statSync(path).mode & 0o777;
      } catch {
        // the file went away: write it back with the secret-file mode
      }
      writeNewFile(path, jsonText(encodeCardImage(card.image)), { force: true, mode });
    },
  };
}
