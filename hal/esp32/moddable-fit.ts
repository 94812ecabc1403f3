// Compile-time checks that Moddable's own modules fit the options the drivers take, so the main
// module can pass them straight in (`timer: Timer`, `storage: { io: Flash, ... }`). Types only.
import type ModdableFlash from 'flash';
import type Timer from 'timer';
import type { TimerService } from './board-clock.js';
import type { JournalFlashOptions } from './journal-flash.js';

type Fits<A extends B, B> = [A, B];

export type ModdableFits = [
  Fits<typeof Timer, TimerService<Timer>>,
  Fits<typeof ModdableFlash, JournalFlashOptions['storage']['io']>,
];
