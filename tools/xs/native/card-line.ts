/// <reference path="./natives.d.ts" />
// The board beyond the ESP32's pins, for the device's own card driver (hal/esp32/card-interface.ts)
// in the device runner: the smart-card UART with the card behind it (native-card-line.c, C as the
// silicon and the other chip are), the interface chip's CMDVCC, RSTIN and OFF pins, the LEDC card
// clock, and the driver's timers on the line's time. The bench runs CardInterface over these, so
// a flow charges the terminal the JavaScript the device runs for each character (echo dropped,
// runs handed to the protocol) and nothing of the card's.
//
// Delivery: smartcard-uart.c posts one "readable" message for what has arrived whenever none is
// pending, so how many characters each onReadable call finds depends on how soon the machine gets
// to it. `delivery` says which bound to model: 'run' (the default: each run one side sends, the
// terminal's echo or the card's answer, in one call, as when the machine is busy or the line
// fast) or 'character' (one call per character, the most the driver can be asked to do).
//
// Time: the line's own, in µs, which moves only from one arrival or driver timer to the next,
// whichever is first, as on the wire; the rig's clock (the terminal's wall time) does not move
// meanwhile, as with the simulated line (hal/sim/card-line.ts). The driver's timers and the UART's
// wakeups are native, as Moddable's Timer and the UART's message are on the device: only the
// JavaScript they call is the terminal's (native-card-line.c).
import type Digital from 'embedded:io/digital';
import type { Clock } from '../../../hal/clock.js';
import { BoardClock } from '../../../hal/esp32/board-clock.js';
import type { CardClockClass, CardClockPort, CardInterfaceOptions } from '../../../hal/esp32/card-interface.js';
import type { SmartCardUartOptions, SmartCardUartPort, SmartCardUartSettings } from '../../../hal/esp32/smartcard-uart.js';
import type { CardWiring } from '../../../hal/esp32/wiring.js';

/** One step of a recorded byte line, decoded (tests/scenarios/byte-replay.ts ReplayStep). */
export interface CardLineStep {
  readonly terminal: Uint8Array | null;
  readonly acts: readonly {
    readonly at: number;
    readonly send: Uint8Array | null;
    readonly delayEtu: number;
    readonly configure: { readonly fi: number; readonly di: number; readonly parity: 'even' | 'odd'; readonly guardEtu: number; readonly errorSignal: boolean } | null;
  }[];
}

/**
 * The recording as native-card-line.c reads it, little-endian: u16 step count; per step u8 kind
 * (0 reset, 1 message), u16 length and the terminal's characters, u16 act count; per act u8 type
 * (0 send, 1 configure), u16 at, then u32 delay etu, u16 length and the characters, or u16 Fi,
 * u8 Di, u8 parity (1 odd), u8 guard etu, u8 error signal. RangeError for a field out of range.
 */
export function encodeCardLine(steps: readonly CardLineStep[]): ArrayBuffer {
  // Sized first, then written in place: no array of numbers on a heap as small as the device's.
  let size = 2;
  for (const step of steps) {
    size += 5 + (step.terminal?.length ?? 0);
    for (const act of step.acts) size += act.send ? 9 + act.send.length : 9;
  }
  const out = new Uint8Array(size);
  let at = 0;
  const u16 = (value: number, what: string): void => {
    if (!(value >= 0 && value <= 0xffff && Number.isInteger(value))) throw new RangeError(`card line recording: ${what} ${value} does not fit 16 bits`);
    out[at++] = value & 0xff;
    out[at++] = value >> 8;
  };
  const bytes = (data: Uint8Array, what: string): void => {
    u16(data.length, what);
    out.set(data, at);
    at += data.length;
  };
  u16(steps.length, 'step count');
  for (const step of steps) {
    out[at++] = step.terminal === null ? 0 : 1;
    bytes(step.terminal ?? EMPTY, 'message length');
    u16(step.acts.length, 'act count');
    for (const act of step.acts) {
      out[at++] = act.send ? 0 : 1;
      u16(act.at, 'act position');
      if (act.send) {
        const delay = Math.round(act.delayEtu);
        if (!(delay >= 0 && delay <= 0xffff_ffff)) throw new RangeError(`card line recording: delay ${act.delayEtu} etu`);
        out[at++] = delay & 0xff;
        out[at++] = (delay >>> 8) & 0xff;
        out[at++] = (delay >>> 16) & 0xff;
        out[at++] = delay >>> 24;
        bytes(act.send, 'send length');
      } else {
        const settings = act.configure!;
        u16(settings.fi, 'Fi');
        out[at++] = settings.di;
        out[at++] = settings.parity === 'odd' ? 1 : 0;
        out[at++] = settings.guardEtu;
        out[at++] = settings.errorSignal ? 1 : 0;
      }
    }
  }
  return out.buffer;
}

const EMPTY = new Uint8Array(0);

/** What the card made of the line so far (native-card-line.c's status). */
export interface CardLineStatus {
  /** The card's current step, -1 before the first reset; the recording's step count. */
  readonly step: number;
  readonly steps: number;
  /** Every step replayed to its end without a difference. */
  readonly finished: boolean;
  /** The first difference from the recording, or null. */
  readonly mismatch: string | null;
  /** Characters on the wire each way, and the line's time, µs. */
  readonly toCard: number;
  readonly toTerminal: number;
  readonly microseconds: number;
}

export type CardLineDelivery = 'run' | 'character';

/** The pieces CardInterface takes, over the runner's card, and the slot's card-detect switch. */
export interface RunnerCardBoard {
  readonly options: CardInterfaceOptions;
  /** The card slides in or out: the interface chip's OFF pin changes (an edge on `detect`). */
  insert(): void;
  remove(): void;
  status(): CardLineStatus;
}

/**
 * A board for CardInterface whose card replays `steps` (RangeError for a recording the C cannot
 * hold); `wiring` is the board's (moddable.json wiring.card), `clockHz` the card clock.
 */
export function runnerCardBoard(steps: readonly CardLineStep[], wiring: CardWiring, delivery: CardLineDelivery = 'run'): RunnerCardBoard {
  if (typeof nativeCardLineLoad !== 'function') throw new Error('the runner\'s card line is only in the device runner');
  nativeCardLineLoad(encodeCardLine(steps), wiring.clockHz);
  // Held here, not looked up on the global object at each call (XS walks its properties): on the
  // device these are the native class's own methods.
  const linePower = nativeCardLinePower;
  const lineReset = nativeCardLineReset;
  const lineSet = nativeCardLineSet;
  const lineListen = nativeCardLineListen;
  const lineFlush = nativeCardLineFlush;
  const lineStatus = nativeCardLineStatus;
  const perCharacter = delivery === 'character';
  // The driver's clock is the device's own BoardClock over the line's native ticks and one-shot
  // timers, as it is over Moddable's Time.ticks and Timer on the board.
  const clock: Clock = new BoardClock<number>({
    rtc: { time: 0, valid: true },
    timer: { set: nativeCardLineTimerSet, clear: nativeCardLineTimerClear },
    ticks: nativeCardLineTicks,
    fallbackMs: 0,
  });
  let present = false;
  let vccLow = false;
  let resetHigh = false;
  let detectEdge: (() => void) | null = null;

  // CMDVCC (active low), RSTIN and OFF of the interface chip: the card is powered while CMDVCC is
  // low, and begins a reset when RSTIN rises with it powered (TDA8024 data sheet, activation).
  class ChipPin {
    static readonly Input = 0;
    static readonly InputPullUp = 1;
    static readonly Output = 2;
    static readonly Rising = 1;
    static readonly Falling = 2;
    readonly #pin: number;

    constructor(options: { readonly pin: number; readonly onReadable?: () => void }) {
      this.#pin = options.pin;
      if (options.pin === wiring.detect) detectEdge = options.onReadable ?? null;
    }

    read(): number {
      return this.#pin === wiring.detect && present ? 1 : 0;
    }

    write(value: number): void {
      if (this.#pin === wiring.vcc) {
        const low = value === 0;
        if (low !== vccLow) linePower(low && present);
        vccLow = low;
        if (!low) resetHigh = false;
      } else if (this.#pin === wiring.reset) {
        const high = value !== 0;
        if (high && !resetHigh && vccLow && present) lineReset(true);
        resetHigh = high;
      }
    }

    close(): void {}
  }

  class CardClock implements CardClockPort {
    readonly hz: number;
    readonly resolution: number;

    constructor(options: { readonly hz: number; readonly resolution?: number }) {
      this.hz = options.hz;
      this.resolution = options.resolution ?? 1;
    }

    write(): void {}
    close(): void {}
  }

  class SmartCardUart implements SmartCardUartPort {
    readonly target: unknown;
    #baud: number;
    #parity: 'even' | 'odd';
    #guardBits: number;

    constructor(options: SmartCardUartOptions) {
      this.target = options.target;
      lineListen(options.onReadable ?? null, this, perCharacter);
      this.#baud = options.baud;
      this.#parity = options.parity ?? 'even';
      this.#guardBits = options.guardBits ?? 0;
      lineSet(this.#baud, this.#parity === 'odd', this.#guardBits);
    }

    get baud(): number {
      return this.#baud;
    }

    // The native functions themselves, as on the device (host methods): no JavaScript frame.
    /** The next character, 0..255, or undefined. */
    declare read: () => number | undefined;
    /** Waiting characters into `target` from `offset`; how many. RangeError for an offset outside it. */
    declare readInto: (target: Uint8Array, offset: number) => number;
    /** Characters out on the wire (an ArrayBuffer or a Uint8Array). */
    declare write: (buffer: ArrayBuffer | ArrayBufferView) => void;

    set(settings: SmartCardUartSettings): void {
      this.#baud = settings.baud ?? this.#baud;
      this.#parity = settings.parity ?? this.#parity;
      this.#guardBits = settings.guardBits ?? this.#guardBits;
      lineSet(this.#baud, this.#parity === 'odd', this.#guardBits);
    }

    flush(): void {
      lineFlush();
    }

    close(): void {
      lineListen(null, null, false);
    }

    get format(): 'number' {
      return 'number';
    }

    set format(_value: 'number') {}
  }

  SmartCardUart.prototype.read = nativeCardLineRead;
  SmartCardUart.prototype.readInto = nativeCardLineReadInto;
  SmartCardUart.prototype.write = nativeCardLineWrite;

  const edge = (to: boolean): void => {
    if (present === to) return;
    present = to;
    if (!to) linePower(false);
    detectEdge?.();
  };

  return {
    options: {
      wiring,
      io: { Digital: ChipPin as unknown as typeof Digital, CardClock: CardClock as CardClockClass, SmartCardUart },
      clock,
    },
    insert: () => edge(true),
    remove: () => edge(false),
    status: () => lineStatus(),
  };
}
