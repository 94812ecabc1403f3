/*
 * The card and its wire in the device runner: what sits beyond the ESP32's smart-card UART
 * (hal/esp32/smartcard-uart.c) on the board, so that the bench runs the device's own driver
 * (hal/esp32/card-interface.ts) and charges the terminal only with what the device runs. On the
 * device the card is another chip and the UART is silicon: neither costs the ESP32 instructions,
 * so both are C here, outside the JavaScript heap.
 *
 * The card replays a byte line recorded on Node (tests/scenarios/byte-replay.ts, ReplayByteCard
 * in C): at each reset and after each character of the terminal it compares the character with the
 * recorded one and does the step's acts that are due (send characters after a delay in etu, or
 * change its UART). On the first difference it keeps a message and goes mute, so the terminal sees
 * a dead card and the bench names the real cause. A terminal that writes at another rate or
 * parity sense than the card listens at is a difference too: on the wire those would be garbage.
 *
 * The wire: characters take (12 + N) etu each (ISO/IEC 7816-3 §8.3), at the terminal's UART rate
 * for what it writes and at the card's f·Di/Fi (§7.1) for what the card sends; the UART hears
 * its own characters back (echo), as the I/O contact is one line. Time is the runner's line
 * time in microseconds, moved on by nativeCardLineAdvance (tools/xs/native/card-uart.ts pumps it
 * together with the driver's timers); a character is handed over once its stop bits are on the
 * wire, and what has arrived waits in the receive ring until read.
 *
 * The driver's side of the board's event loop is C too, as on the device: its timers (Moddable's
 * Timer, nativeCardLineTimerSet/Clear) and the UART's "readable" message. A pump job on the runner's
 * queue (setImmediate) moves line time to the next happening, the next batch of characters in or
 * the first timer due (characters first on a tie), and calls the driver's onReadable or the timer's
 * callback. Only the JavaScript those calls run is the terminal's: the timers' own C is counted with
 * it (the SDK's timer service is C on the ESP32 too), the pump's and the wire's are not.
 *
 * Globals installed by nativeCardLineInstall():
 *   nativeCardLineLoad(buffer, clockHz)  a recording (encodeReplayLine), card unpowered, time 0
 *   nativeCardLinePower(on)              VCC on or off (off: the card loses everything in flight)
 *   nativeCardLineReset(cold)            RST rises: the card begins its next (reset) step
 *   nativeCardLineSet(baud, odd, guardBits)   the terminal's UART frame
 *   nativeCardLineWrite(bytes)           the terminal writes characters (ArrayBuffer or Uint8Array)
 *   nativeCardLineListen(onReadable, target, perCharacter)   the UART's onReadable(count), called
 *                                        with `target` as this, once per batch a side sends (or
 *                                        per character); null stops it
 *   nativeCardLineTicks()                line time, ms (fractional): Moddable's Time.ticks
 *   nativeCardLineTimerSet(callback, ms) a one-shot timer on line time (Timer.set); its id
 *   nativeCardLineTimerClear(id)         cancels it (Timer.clear); unknown ids are ignored
 *   nativeCardLineRead()                 next character (0..255) or undefined
 *   nativeCardLineReadInto(target, offset)   waiting characters into a Uint8Array from offset; how many
 *   nativeCardLineFlush()                drops what waits to be read
 *   nativeCardLineStatus()               { step, steps, finished, mismatch, toCard, toTerminal, microseconds }
 */
#include "xsAll.h"
#include "xs.h"
#include "native-card-line.h"

#ifdef DEVICE_RUNNER_RV32
#include "rv32-runner.h"
#define CARD_LINE_INSTRUCTIONS() rv32Instret()
#else
#define CARD_LINE_INSTRUCTIONS() 0ULL
#endif

/* The card's and the wire's work is not the terminal's: every call's instructions are kept here and
 * taken out of the flow's count by the runner (nativeCardLineTake), as the other chip's would be. */
static unsigned long long gxCardLineInstructions = 0;
/* COUNTED(xs_name) { body }: the host function xs_name runs the body and adds what it retired. */
#define COUNTED(name) \
	static void name##_body(txMachine* the); \
	static void name(txMachine* the) \
	{ \
		unsigned long long cardLineStart = CARD_LINE_INSTRUCTIONS(); \
		name##_body(the); \
		gxCardLineInstructions += CARD_LINE_INSTRUCTIONS() - cardLineStart; \
	} \
	static void name##_body(txMachine* the)

unsigned long long nativeCardLineTake(void)
{
	unsigned long long taken = gxCardLineInstructions;
	gxCardLineInstructions = 0;
	return taken;
}

#define MAX_STEPS 512
#define MAX_ACTS 4096
#define QUEUE 4096

typedef struct {
	unsigned char send;          /* 1: send `bytes`; 0: configure */
	unsigned int at;
	double delayEtu;
	const unsigned char* bytes;
	unsigned int length;
	unsigned int fi, di, odd, guardEtu;
} Act;

typedef struct {
	int reset;                   /* 1: a reset step (no terminal characters) */
	const unsigned char* terminal;
	unsigned int terminalLength;
	unsigned int firstAct, actCount;
} Step;

typedef struct {
	unsigned char* buffer;
	Step steps[MAX_STEPS];
	Act acts[MAX_ACTS];
	int stepCount;
	int step;                    /* current step, -1 before the first reset */
	unsigned int heard, act;
	int powered;
	char mismatch[240];
	int mismatched;
	double clockHz;
	/* The card's UART (configure acts) and the terminal's (nativeCardLineSet). */
	unsigned int cardFi, cardDi, cardOdd, cardGuardEtu;
	double terminalBaud;
	unsigned int terminalOdd, terminalGuardBits;
	/* Line time: now, when the wire is next free, when the last character ended. */
	double now, wireFree, lastEnd;
	/* In flight: characters with their arrival time and batch (one per run a side sends). */
	unsigned char pending[QUEUE];
	double arrival[QUEUE];
	unsigned int batch[QUEUE];
	unsigned int pendingHead, pendingCount, nextBatch;
	/* Arrived, waiting for read(). */
	unsigned char ring[QUEUE];
	unsigned int ringHead, ringCount;
	unsigned long toCard, toTerminal;
} CardLine;

static CardLine gxLine;

/* The driver's timers: due in line time (µs); their callbacks, the UART's onReadable and its
 * target, and the pump's function live in gxRoots, a JavaScript array the collector keeps. */
#define MAX_TIMERS 32
enum { ROOT_PUMP, ROOT_ON_READABLE, ROOT_TARGET, ROOT_TIMERS, ROOT_COUNT = ROOT_TIMERS + MAX_TIMERS };
typedef struct {
	unsigned int id;             /* 0: free */
	double due;
} Timer;
static Timer gxTimers[MAX_TIMERS];
static unsigned int gxNextTimerId = 1;
static txSlot gxRoots;
static int gxPumping = 0, gxPerCharacter = 0;
static txID gxSetImmediateID = XS_NO_ID;

extern txInteger _xsmcGetBuffer(txMachine* the, txSlot* slot, void** data, txUnsigned* count, txBoolean writable);

static unsigned int u8(txMachine* the, const unsigned char** at, const unsigned char* end)
{
	if (*at + 1 > end) xsRangeError("card line: recording truncated");
	return *(*at)++;
}

static unsigned int u16(txMachine* the, const unsigned char** at, const unsigned char* end)
{
	unsigned int value;
	if (*at + 2 > end) xsRangeError("card line: recording truncated");
	value = (*at)[0] | ((*at)[1] << 8);
	*at += 2;
	return value;
}

static unsigned int u32(txMachine* the, const unsigned char** at, const unsigned char* end)
{
	unsigned int value;
	if (*at + 4 > end) xsRangeError("card line: recording truncated");
	value = (*at)[0] | ((*at)[1] << 8) | ((*at)[2] << 16) | ((unsigned int)(*at)[3] << 24);
	*at += 4;
	return value;
}

static const unsigned char* bytesOf(txMachine* the, const unsigned char** at, const unsigned char* end, unsigned int length)
{
	const unsigned char* start = *at;
	if (*at + length > end) xsRangeError("card line: recording truncated");
	*at += length;
	return start;
}

static void fail(const char* message)
{
	if (gxLine.mismatched) return;
	gxLine.mismatched = 1;
	c_strncpy(gxLine.mismatch, message, sizeof(gxLine.mismatch) - 1);
	gxLine.mismatch[sizeof(gxLine.mismatch) - 1] = 0;
}

/* One etu of the card's UART, µs (§7.1: Fi / (Di · f)). */
static double cardEtu(void)
{
	return 1e6 * gxLine.cardFi / (gxLine.cardDi * gxLine.clockHz);
}

static void queue(unsigned char byte, double at, unsigned int batch)
{
	unsigned int slot;
	if (gxLine.pendingCount == QUEUE) { fail("card line: more than 4,096 characters in flight"); return; }
	slot = (gxLine.pendingHead + gxLine.pendingCount++) % QUEUE;
	gxLine.pending[slot] = byte;
	gxLine.arrival[slot] = at;
	gxLine.batch[slot] = batch;
}

/* The card sends `act`'s characters, the first `delayEtu` etu after the last character on the line. */
static void cardSends(const Act* act)
{
	double etu = cardEtu(), start = gxLine.lastEnd + act->delayEtu * etu;
	double character = (12 + (gxLine.cardGuardEtu > 12 ? gxLine.cardGuardEtu - 12 : 0)) * etu;
	unsigned int batch = gxLine.nextBatch++, i;
	if (start < gxLine.wireFree) start = gxLine.wireFree;
	for (i = 0; i < act->length; i++) queue(act->bytes[i], start + character * (i + 1), batch);
	gxLine.wireFree = gxLine.lastEnd = start + character * act->length;
	gxLine.toTerminal += act->length;
}

static void perform(void)
{
	const Step* step = &gxLine.steps[gxLine.step];
	while (gxLine.act < step->actCount) {
		const Act* act = &gxLine.acts[step->firstAct + gxLine.act];
		if (act->at > gxLine.heard) break;
		gxLine.act++;
		if (act->send) cardSends(act);
		else {
			gxLine.cardFi = act->fi;
			gxLine.cardDi = act->di;
			gxLine.cardOdd = act->odd;
			gxLine.cardGuardEtu = act->guardEtu;
		}
	}
}

static int stepDone(void)
{
	const Step* step;
	if (gxLine.step < 0) return 1;
	step = &gxLine.steps[gxLine.step];
	return gxLine.heard == step->terminalLength && gxLine.act == step->actCount;
}

/* The card's UART as every reset leaves it (§6.2): Fi 372, Di 1, direct convention, 12 etu a character. */
static void cardDefaults(void)
{
	gxLine.cardFi = 372;
	gxLine.cardDi = 1;
	gxLine.cardOdd = 0;
	gxLine.cardGuardEtu = 12;
}

static void clearFlight(void)
{
	gxLine.pendingHead = gxLine.pendingCount = 0;
	gxLine.ringHead = gxLine.ringCount = 0;
}

COUNTED(xs_nativeCardLineLoad)
{
	xsIntegerValue length;
	const unsigned char *at, *end;
	unsigned int count, s, acts = 0;
	if (!xsIsInstanceOf(xsArg(0), xsArrayBufferPrototype)) xsTypeError("card line: ArrayBuffer expected");
	length = xsGetArrayBufferLength(xsArg(0));
	if (gxLine.buffer) c_free(gxLine.buffer);
	c_memset(&gxLine, 0, sizeof(gxLine));
	gxLine.buffer = c_malloc(length > 0 ? length : 1);
	if (!gxLine.buffer) xsUnknownError("card line: out of memory");
	c_memcpy(gxLine.buffer, xsToArrayBuffer(xsArg(0)), length);
	gxLine.clockHz = xsToNumber(xsArg(1));
	if (!(gxLine.clockHz > 0)) xsRangeError("card line: clock %g Hz", gxLine.clockHz);
	at = gxLine.buffer;
	end = at + length;
	count = u16(the, &at, end);
	if (count > MAX_STEPS) xsRangeError("card line: %u steps, at most %d", count, MAX_STEPS);
	for (s = 0; s < count; s++) {
		Step* step = &gxLine.steps[s];
		unsigned int a;
		step->reset = u8(the, &at, end) == 0;
		step->terminalLength = u16(the, &at, end);
		step->terminal = bytesOf(the, &at, end, step->terminalLength);
		step->actCount = u16(the, &at, end);
		step->firstAct = acts;
		if (acts + step->actCount > MAX_ACTS) xsRangeError("card line: more than %d acts", MAX_ACTS);
		for (a = 0; a < step->actCount; a++) {
			Act* act = &gxLine.acts[acts++];
			act->send = u8(the, &at, end) == 0;
			act->at = u16(the, &at, end);
			if (act->send) {
				act->delayEtu = u32(the, &at, end);
				act->length = u16(the, &at, end);
				act->bytes = bytesOf(the, &at, end, act->length);
			}
			else {
				act->fi = u16(the, &at, end);
				act->di = u8(the, &at, end);
				act->odd = u8(the, &at, end);
				act->guardEtu = u8(the, &at, end);
				(void)u8(the, &at, end); /* error signal: the card's own business */
				if (!act->fi || !act->di) xsRangeError("card line: configure with Fi %u, Di %u", act->fi, act->di);
			}
		}
	}
	if (at != end) xsRangeError("card line: %d bytes after the last step", (int)(end - at));
	gxLine.stepCount = count;
	gxLine.step = -1;
	cardDefaults();
	for (s = 0; s < MAX_TIMERS; s++) {
		gxTimers[s].id = 0;
		xsSetAt(gxRoots, xsInteger(ROOT_TIMERS + s), xsUndefined);
	}
	xsSetAt(gxRoots, xsInteger(ROOT_ON_READABLE), xsNull);
	xsSetAt(gxRoots, xsInteger(ROOT_TARGET), xsUndefined);
	gxLine.terminalBaud = gxLine.clockHz / 372;
}

COUNTED(xs_nativeCardLinePower)
{
	gxLine.powered = xsTest(xsArg(0));
	if (!gxLine.powered) clearFlight();
}

COUNTED(xs_nativeCardLineReset)
{
	char message[200];
	int cold = xsTest(xsArg(0));
	int at = gxLine.step;
	if (!gxLine.powered || gxLine.mismatched) return;
	clearFlight();
	cardDefaults(); /* and TS follows the rise of RST */
	gxLine.lastEnd = gxLine.wireFree = gxLine.now;
	if (!stepDone()) {
		snprintf(message, sizeof(message), "step %d: the terminal reset the card after %u of %u characters", at, gxLine.heard, gxLine.steps[at].terminalLength);
		fail(message);
		return;
	}
	if (at + 1 >= gxLine.stepCount) {
		snprintf(message, sizeof(message), "the terminal %s reset the card after the recording ended (%d steps)", cold ? "cold" : "warm", gxLine.stepCount);
		fail(message);
		return;
	}
	if (!gxLine.steps[at + 1].reset) {
		snprintf(message, sizeof(message), "step %d: the terminal reset the card where the recording has it write characters", at + 1);
		fail(message);
		return;
	}
	gxLine.step = at + 1;
	gxLine.heard = gxLine.act = 0;
	perform();
}

COUNTED(xs_nativeCardLineSet)
{
	gxLine.terminalBaud = xsToNumber(xsArg(0));
	gxLine.terminalOdd = xsTest(xsArg(1));
	gxLine.terminalGuardBits = xsToInteger(xsArg(2));
	if (!(gxLine.terminalBaud > 0)) xsRangeError("card line: %g bit/s", gxLine.terminalBaud);
}

/* The card hears one character of the terminal's, ending on the wire at `end`. */
static void cardHears(unsigned char raw, double end)
{
	char message[200];
	const Step* step;
	double cardBaud = gxLine.clockHz * gxLine.cardDi / gxLine.cardFi, ratio = gxLine.terminalBaud / cardBaud;
	gxLine.lastEnd = end;
	if (gxLine.mismatched || !gxLine.powered || gxLine.step < 0) return;
	if (ratio < 0.98 || ratio > 1.02 || gxLine.terminalOdd != gxLine.cardOdd) {
		snprintf(message, sizeof(message), "step %d: the terminal writes at %.0f bit/s %s parity, the card listens at %.0f bit/s %s parity",
			gxLine.step, gxLine.terminalBaud, gxLine.terminalOdd ? "odd" : "even", cardBaud, gxLine.cardOdd ? "odd" : "even");
		fail(message);
		return;
	}
	if (stepDone()) {
		if (gxLine.step + 1 >= gxLine.stepCount || gxLine.steps[gxLine.step + 1].reset) {
			snprintf(message, sizeof(message), "step %d: the terminal wrote %02x where the recording has %s", gxLine.step + 1, raw, gxLine.step + 1 >= gxLine.stepCount ? "ended" : "a reset");
			fail(message);
			return;
		}
		gxLine.step++;
		gxLine.heard = gxLine.act = 0;
	}
	step = &gxLine.steps[gxLine.step];
	if (gxLine.heard >= step->terminalLength || step->terminal[gxLine.heard] != raw) {
		snprintf(message, sizeof(message), "step %d: the terminal wrote %02x as character %u, the recording has %02x", gxLine.step, raw, gxLine.heard,
			gxLine.heard < step->terminalLength ? step->terminal[gxLine.heard] : 0);
		fail(message);
		return;
	}
	gxLine.heard++;
	perform();
}

static void scheduleRaw(txMachine* the);

/* write(bytes): the UART's write (hal/esp32/smartcard-uart.c), an ArrayBuffer or a Uint8Array. */
COUNTED(xs_nativeCardLineWrite)
{
	void* buffer;
	txUnsigned size;
	xsIntegerValue length, i;
	const unsigned char* data;
	double character, start;
	unsigned int batch;
	if (xsToInteger(xsArgc) < 1 || _xsmcGetBuffer(the, &xsArg(0), &buffer, &size, 0) < 0) xsTypeError("card line: write() takes an ArrayBuffer or a Uint8Array");
	data = (const unsigned char*)buffer;
	length = (xsIntegerValue)size;
	character = 1e6 * (12 + gxLine.terminalGuardBits) / gxLine.terminalBaud;
	start = gxLine.now > gxLine.wireFree ? gxLine.now : gxLine.wireFree;
	batch = gxLine.nextBatch++;
	gxLine.wireFree = start + character * length;
	/* The whole echo first: it is on the wire before anything the card sends in answer. */
	for (i = 0; i < length; i++) queue(data[i], start + character * (i + 1), batch);
	for (i = 0; i < length; i++) {
		gxLine.toCard++;
		cardHears(data[i], start + character * (i + 1));
	}
	scheduleRaw(the);
}

/* Line time (µs) the next batch (or, per character, the next character) is all in; -1 if none is in flight. */
static double nextArrival(int perCharacter)
{
	unsigned int i, batch;
	double last;
	if (!gxLine.pendingCount) return -1;
	last = gxLine.arrival[gxLine.pendingHead];
	if (!perCharacter) {
		batch = gxLine.batch[gxLine.pendingHead];
		for (i = 1; i < gxLine.pendingCount; i++) {
			unsigned int slot = (gxLine.pendingHead + i) % QUEUE;
			if (gxLine.batch[slot] != batch) break;
			last = gxLine.arrival[slot];
		}
	}
	return last;
}

/* Moves line time on to `to` (never back); returns how many characters wait to be read. */
static unsigned int advance(double to)
{
	if (to > gxLine.now) gxLine.now = to;
	while (gxLine.pendingCount && gxLine.arrival[gxLine.pendingHead] <= gxLine.now) {
		if (gxLine.ringCount < QUEUE) gxLine.ring[(gxLine.ringHead + gxLine.ringCount++) % QUEUE] = gxLine.pending[gxLine.pendingHead];
		gxLine.pendingHead = (gxLine.pendingHead + 1) % QUEUE;
		gxLine.pendingCount--;
	}
	return gxLine.ringCount;
}

/* The timer that fires first: the earliest due, the oldest of those due together; -1 if none is set. */
static int firstTimer(void)
{
	int i, first = -1;
	for (i = 0; i < MAX_TIMERS; i++) {
		if (!gxTimers[i].id) continue;
		if (first < 0 || gxTimers[i].due < gxTimers[first].due || (gxTimers[i].due == gxTimers[first].due && gxTimers[i].id < gxTimers[first].id)) first = i;
	}
	return first;
}

/* Puts the pump on the runner's queue once, when something is in flight or a timer is set. */
static void scheduleRaw(txMachine* the)
{
	if (gxPumping) return;
	if (!gxLine.pendingCount && firstTimer() < 0) return;
	gxPumping = 1;
	if (gxSetImmediateID == XS_NO_ID) gxSetImmediateID = xsID("setImmediate");
	xsCall1(xsGlobal, gxSetImmediateID, xsGetAt(gxRoots, xsInteger(ROOT_PUMP)));
}

/* One happening: the next batch in, handed to onReadable, or the first timer due, fired. Its own C is
 * the board's, not the terminal's; the JavaScript it calls is the terminal's. */
static void xs_cardLinePump(txMachine* the)
{
	unsigned long long start = CARD_LINE_INSTRUCTIONS();
	double first, due, batch;
	unsigned int count;
	int timer;
	xsVars(2);
	gxPumping = 0;
	first = nextArrival(1);
	timer = firstTimer();
	due = timer < 0 ? -1 : gxTimers[timer].due;
	if (first >= 0 && (timer < 0 || first <= due)) {
		batch = gxPerCharacter ? first : nextArrival(0);
		count = advance(timer >= 0 && due < batch ? due : batch);
		scheduleRaw(the);
		xsVar(0) = xsGetAt(gxRoots, xsInteger(ROOT_ON_READABLE));
		xsVar(1) = xsGetAt(gxRoots, xsInteger(ROOT_TARGET));
		gxCardLineInstructions += CARD_LINE_INSTRUCTIONS() - start;
		if (count > 0 && xsTest(xsVar(0))) xsCallFunction1(xsVar(0), xsVar(1), xsInteger(count));
		return;
	}
	if (timer < 0) {
		gxCardLineInstructions += CARD_LINE_INSTRUCTIONS() - start;
		return;
	}
	advance(due);
	gxTimers[timer].id = 0;
	scheduleRaw(the);
	gxCardLineInstructions += CARD_LINE_INSTRUCTIONS() - start;
	/* The timer service calls the callback: counted, as the SDK's is on the device. */
	xsVar(0) = xsGetAt(gxRoots, xsInteger(ROOT_TIMERS + timer));
	xsSetAt(gxRoots, xsInteger(ROOT_TIMERS + timer), xsUndefined);
	xsCallFunction0(xsVar(0), xsUndefined);
}

/* listen(onReadable, target, perCharacter): the UART's onReadable; null or undefined stops it. */
COUNTED(xs_nativeCardLineListen)
{
	xsSetAt(gxRoots, xsInteger(ROOT_ON_READABLE), xsArg(0));
	xsSetAt(gxRoots, xsInteger(ROOT_TARGET), xsArg(1));
	gxPerCharacter = xsTest(xsArg(2));
}

COUNTED(xs_nativeCardLineTicks)
{
	xsResult = xsNumber(gxLine.now / 1000);
}

/* TimerSet(callback, ms): Moddable's Timer.set(callback, interval), one-shot, on line time. Counted as
 * the terminal's but for putting the pump on the queue (the board's). */
static void xs_nativeCardLineTimerSet(txMachine* the)
{
	double ms = xsToNumber(xsArg(1));
	unsigned long long start;
	int i;
	if (!xsIsInstanceOf(xsArg(0), xsFunctionPrototype)) xsTypeError("card line: Timer.set() takes a function");
	for (i = 0; i < MAX_TIMERS && gxTimers[i].id; i++);
	if (i == MAX_TIMERS) xsRangeError("card line: more than %d timers set", MAX_TIMERS);
	gxTimers[i].id = gxNextTimerId++;
	gxTimers[i].due = gxLine.now + (ms > 0 ? ms : 0) * 1000;
	xsSetAt(gxRoots, xsInteger(ROOT_TIMERS + i), xsArg(0));
	xsResult = xsNumber(gxTimers[i].id);
	start = CARD_LINE_INSTRUCTIONS();
	scheduleRaw(the);
	gxCardLineInstructions += CARD_LINE_INSTRUCTIONS() - start;
}

static void xs_nativeCardLineTimerClear(txMachine* the)
{
	unsigned int id = (unsigned int)xsToNumber(xsArg(0));
	int i;
	for (i = 0; i < MAX_TIMERS; i++) {
		if (id && gxTimers[i].id == id) {
			gxTimers[i].id = 0;
			xsSetAt(gxRoots, xsInteger(ROOT_TIMERS + i), xsUndefined);
			return;
		}
	}
}

COUNTED(xs_nativeCardLineRead)
{
	if (!gxLine.ringCount) return; /* undefined */
	xsResult = xsInteger(gxLine.ring[gxLine.ringHead]);
	gxLine.ringHead = (gxLine.ringHead + 1) % QUEUE;
	gxLine.ringCount--;
}

/* readInto(target, offset): the UART's bulk read (hal/esp32/smartcard-uart.c readInto) into a
 * Uint8Array from offset; how many characters it copied. No character of this line is ever flagged. */
COUNTED(xs_nativeCardLineReadInto)
{
	void* buffer;
	txUnsigned size;
	xsIntegerValue offset, room, copied = 0;
	unsigned char* target;
	if (xsToInteger(xsArgc) < 2 || _xsmcGetBuffer(the, &xsArg(0), &buffer, &size, 1) < 0) xsTypeError("card line: readInto() takes a Uint8Array");
	offset = xsToInteger(xsArg(1));
	if (offset < 0 || (txUnsigned)offset > size) xsRangeError("SmartCardUart: offset %d outside a buffer of %u", (int)offset, (unsigned)size);
	target = (unsigned char*)buffer + offset;
	room = (xsIntegerValue)(size - offset);
	while (gxLine.ringCount && copied < room) {
		target[copied++] = gxLine.ring[gxLine.ringHead];
		gxLine.ringHead = (gxLine.ringHead + 1) % QUEUE;
		gxLine.ringCount--;
	}
	xsResult = xsInteger(copied);
}

COUNTED(xs_nativeCardLineFlush)
{
	gxLine.ringHead = gxLine.ringCount = 0;
}

COUNTED(xs_nativeCardLineStatus)
{
	int finished = !gxLine.mismatched && gxLine.step + 1 == gxLine.stepCount && stepDone();
	xsVars(1);
	xsResult = xsNewObject();
	xsSet(xsResult, xsID("step"), xsInteger(gxLine.step));
	xsSet(xsResult, xsID("steps"), xsInteger(gxLine.stepCount));
	xsSet(xsResult, xsID("finished"), xsBoolean(finished));
	xsSet(xsResult, xsID("mismatch"), gxLine.mismatched ? xsString(gxLine.mismatch) : xsNull);
	xsSet(xsResult, xsID("toCard"), xsNumber((double)gxLine.toCard));
	xsSet(xsResult, xsID("toTerminal"), xsNumber((double)gxLine.toTerminal));
	xsSet(xsResult, xsID("microseconds"), xsNumber(gxLine.now));
}

void nativeCardLineInstall(txMachine* the)
{
	static const struct { const char* name; xsCallback callback; int length; } functions[] = {
		{ "nativeCardLineLoad", xs_nativeCardLineLoad, 2 },
		{ "nativeCardLinePower", xs_nativeCardLinePower, 1 },
		{ "nativeCardLineReset", xs_nativeCardLineReset, 1 },
		{ "nativeCardLineSet", xs_nativeCardLineSet, 3 },
		{ "nativeCardLineWrite", xs_nativeCardLineWrite, 1 },
		{ "nativeCardLineListen", xs_nativeCardLineListen, 3 },
		{ "nativeCardLineTicks", xs_nativeCardLineTicks, 0 },
		{ "nativeCardLineTimerSet", xs_nativeCardLineTimerSet, 2 },
		{ "nativeCardLineTimerClear", xs_nativeCardLineTimerClear, 1 },
		{ "nativeCardLineRead", xs_nativeCardLineRead, 0 },
		{ "nativeCardLineReadInto", xs_nativeCardLineReadInto, 2 },
		{ "nativeCardLineFlush", xs_nativeCardLineFlush, 0 },
		{ "nativeCardLineStatus", xs_nativeCardLineStatus, 0 },
	};
	size_t i;
	for (i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
		xsResult = xsNewHostFunction(functions[i].callback, functions[i].length);
		xsDefine(xsGlobal, xsID((txString)functions[i].name), xsResult, xsDontEnum);
	}
	xsResult = xsNewArray(ROOT_COUNT);
	gxRoots = xsResult;
	fxRemember(the, &gxRoots);
	xsResult = xsNewHostFunction(xs_cardLinePump, 0);
	xsSetAt(gxRoots, xsInteger(ROOT_PUMP), xsResult);
}
