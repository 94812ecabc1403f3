/*
 * device-runner: the XS engine (sources from @agoric/xsnap) with a microcontroller's memory limits.
 *
 * Runs one script (an esbuild iife bundle) in three phases and prints one JSON line on stdout:
 *
 *   load   the script's top level runs: it defines code and constants and must set
 *          globalThis.device = { setup(arg), flow(arg) } (either may return a promise).
 *          On the device, preloaded modules live in flash, so nothing here is charged.
 *   --- baseline: full GC, chunk bytes and slots in use are read; from here on the profile's
 *       limits apply (fixed chunk heap and slot heap above the baseline, no growth, and a stack of
 *       profile.stack slots from where it stands after the load: an iife bundle needs a deep stack
 *       to load, which preloaded modules on the device do not) ---
 *   setup  device.setup(arg): builds the terminal's state (charged: it lives in RAM on the device)
 *   flow   device.flow(arg): the measured transaction
 *
 * Peak chunk bytes and slots are reported above the baseline, for setup and flow together
 * (peak*) and for the flow alone above the live state after setup (flowPeak*). Computrons are XS
 * metering counts (64-bit, the engine's 32-bit meter is drained into it on every callback), on the
 * x86_64 build only: the RV32 build's XS does not meter, as the device's does not (null there).
 * "native" lists the device's native crypto called during the flow (tools/xs/native/): calls and,
 * on RV32, the instructions they retired, which "instructions" includes.
 *
 * Limits: the machine is created big enough to load the code, then at the baseline, by default
 * ("preload", below), the load phase's slots and chunks become read-only and leave the collected
 * heap, as preloaded modules in flash on the device, and the heap becomes a slot block of exactly
 * the profile's slots and a chunk block of exactly its bytes, with growth switched off. With
 * --no-preload (and for the host profile, which has no limits) the earlier model is used instead:
 *   chunks: the (single, just compacted) chunk block's limit is cut to current + chunk budget,
 *           and incremental growth is switched off;
 *   slots:  the slot heap is grown to hold the budget if needed, every free slot beyond the budget is
 *           taken out of use (held as "ballast" by a rooted object, so no collection can free it),
 *           and growth is switched off. The baseline's slots and the ballast are marked and swept by
 *           every collection, which preloaded slots in flash are not on the device.
 * Exceeding either makes XS itself abort with "memory full", exactly as on a fixed-heap device.
 *
 * Exit codes: 0 ok; 2 usage or load error; 3 setup or flow threw or rejected; 4 memory full;
 * 5 stack overflow; 6 other XS abort; 7 setup or flow never settled; 8 (--check-preload) a load-phase
 * slot came to point into RAM: the bundle wrote preloaded state behind XS's aliases.
 *
 * Two builds (tools/xs/build-device-runner.mjs): for the host (x86_64: 32-byte slots; callgrind
 * counts its instructions from outside), and with -DDEVICE_RUNNER_RV32 for a bare-metal RV32IMAC
 * machine run in QEMU (tools/xs/rv32/: 16-byte slots and 4-byte pointers as on the ESP32 and
 * ESP32-C3), which reads the instret counter around each phase and reports
 * "instructions":{"setup":N,"flow":N}: retired RV32 instructions, exact under -icount shift=0,
 * without those of the card and its wire (native-card-line.c: another chip and the UART's silicon
 * on the board), which "cardLine":{"setup":N,"flow":N} lists apart.
 *
 * Globals for the bundle besides the natives: print(...), gc(), setImmediate(f), and
 * instructions(), the instructions retired so far (RV32; 0 on the host), for marks while profiling.
 *
 * Usage: device-runner [--profile esp32|esp32c3|psram|host] [--chunk BYTES] [--slots N] [--stack N]
 *                      [--arg TEXT] [--setup-only] [--no-preload] [--check-preload]
 *                      [--cpuprofile FILE (host: XS's sampling profiler over the flow)] SCRIPT.js
 */
#include "xsAll.h"
#include "xsScript.h"
#ifdef DEVICE_RUNNER_RV32
#include "rv32-runner.h"
#else
#include "xsnap.h"
#endif
#include "native-crypto.h"
#include "native-flash.h"
#include "native-card-line.h"

extern void modInstallTextDecoder(xsMachine* the);
extern void modInstallTextEncoder(xsMachine* the);

extern void fxGrowSlots(txMachine* the, txSize theCount);

#define EXIT_USAGE 2
#define EXIT_FLOW_FAILED 3
#define EXIT_MEMORY_FULL 4
#define EXIT_STACK_OVERFLOW 5
#define EXIT_ABORT 6
#define EXIT_NOT_SETTLED 7
#define EXIT_PRELOAD_WRITTEN 8

typedef struct {
	const char* name;
	long chunk;     /* chunk heap above the baseline, bytes; 0 = unlimited */
	long slots;     /* slot heap above the baseline; 0 = unlimited */
	long stack;     /* stack slots, fixed from creation */
	long nameModulo;
	long symbolModulo;
} Profile;

/* Moddable SDK: build/devices/esp32/targets/<most boards>/manifest.json "creation" (chunk 78848/0,
   heap 4928/0, stack 512) with examples/manifest_base.json keys (name 53, symbol 3).
   psram: the SDK's esp32 PSRAM targets qtpys2 / qtpys2_ili9341 give XS a static block of 524288 bytes
   (chunk 131072 + heap 8192 slots initially, growing inside it); here that block is split as a fixed
   393216-byte chunk heap plus 8192 slots (8192 x 16-byte ESP32 slots = 131072 bytes).
   esp32c3: the SDK's ESP32-C3 targets (esp32c3, esp32c3_cdc) set no creation of their own, so the
   C3 runs with the esp32 platform's; it is listed apart so that reports name the chip.
   The stack is the terminal's own: manifests/terminal.json's "creation" raises the SDK's 512 slots
   to 768 (the card line's T=1 nests deeper than 512; tests/rv32.test.ts checks the two agree). */
static const Profile gxProfiles[] = {
	{ "esp32", 78848, 4928, 768, 53, 3 },
	{ "esp32c3", 78848, 4928, 768, 53, 3 },
	{ "psram", 393216, 8192, 768, 53, 3 },
	{ "host", 0, 0, 4096, 1993, 127 },
};

static unsigned long long gxComputrons = 0;
static int gxPhase = 0; /* 0 load, 1 setup, 2 flow, 3 done */
static const char* gxPhaseNames[] = { "load", "setup", "flow", "done" };
static int gxSettled = 0; /* 0 pending, 1 fulfilled, 2 rejected */

#ifdef mxMetering
static txBoolean meterCallback(txMachine* the, txU4 index)
{
	gxComputrons += index;
	the->meterIndex = 0;
	return 1;
}

static unsigned long long computronsNow(txMachine* the)
{
	return gxComputrons + the->meterIndex;
}
#define runnerBegin(THE) xsBeginMetering(THE, meterCallback, 1 << 20)
#define runnerEnd(THE) xsEndMetering(THE)
#else
/* No metering (the RV32 target, as the device's XS): no computrons. */
static unsigned long long computronsNow(txMachine* the)
{
	return 0;
}
/* The host jump xsBeginMetering would set, without the meter: memory full and other aborts
 * (fxAbort, fxExitToHost) come back here. */
#define runnerBegin(THE) \
	do { \
		xsJump __HOST_JUMP__; \
		__HOST_JUMP__.nextJump = (THE)->firstJump; \
		__HOST_JUMP__.stack = (THE)->stack; \
		__HOST_JUMP__.scope = (THE)->scope; \
		__HOST_JUMP__.frame = (THE)->frame; \
		__HOST_JUMP__.environment = NULL; \
		__HOST_JUMP__.code = (THE)->code; \
		__HOST_JUMP__.flag = 0; \
		(THE)->firstJump = &__HOST_JUMP__; \
		if (setjmp(__HOST_JUMP__.buffer) == 0) {
#define runnerEnd(THE) \
		} \
		(THE)->stack = __HOST_JUMP__.stack, \
		(THE)->scope = __HOST_JUMP__.scope, \
		(THE)->frame = __HOST_JUMP__.frame, \
		(THE)->code = __HOST_JUMP__.code, \
		(THE)->firstJump = __HOST_JUMP__.nextJump; \
		break; \
	} while(1)
#endif

/* Machine instructions retired so far where the runner can read them itself (RV32), else 0. */
static unsigned long long instructionsNow(void)
{
#ifdef DEVICE_RUNNER_RV32
	return rv32Instret();
#else
	return 0;
#endif
}

#ifdef DEVICE_RUNNER_RV32
#define INSTRUCTION_COUNTER "instret"
#else
#define INSTRUCTION_COUNTER "none"
#endif

static void xs_print(xsMachine* the)
{
	xsIntegerValue c = xsToInteger(xsArgc), i;
	for (i = 0; i < c; i++) {
		if (i) fputc(' ', stdout);
		fputs(xsToString(xsArg(i)), stdout);
	}
	fputc('\n', stdout);
	fflush(stdout);
}

/* instructions(): machine instructions retired so far (RV32 instret; 0 on the host), for marks while profiling. */
static void xs_instructions(xsMachine* the)
{
	xsResult = xsNumber((double)instructionsNow());
}

static void xs_gc(xsMachine* the)
{
	xsCollectGarbage();
}

static void xs_setImmediate(xsMachine* the)
{
	fxSetTimer(the, 0, 0);
}

static void xs_settledOk(xsMachine* the)
{
	gxSettled = 1;
}

static void xs_settledError(xsMachine* the)
{
	gxSettled = 2;
	xsVars(1);
	fprintf(stderr, "device-runner: %s rejected: %s\n", gxPhaseNames[gxPhase], xsToString(xsArg(0)));
	if (xsTypeOf(xsArg(0)) == xsReferenceType) {
		xsVar(0) = xsGet(xsArg(0), xsID("stack"));
		if (xsTypeOf(xsVar(0)) == xsStringType) fprintf(stderr, "%s\n", xsToString(xsVar(0)));
	}
}

typedef struct {
	long chunks;   /* bytes of chunks in use */
	long slots;    /* slots in use */
	long keys;
} Usage;

static Usage usageNow(txMachine* the)
{
	Usage usage;
	usage.chunks = (long)the->currentChunksSize;
	usage.slots = (long)the->currentHeapCount;
	usage.keys = (long)the->keyIndex;
	return usage;
}

static void collect(txMachine* the)
{
	xsBeginHost(the);
	xsCollectGarbage();
	xsEndHost(the);
}

static long totalSlots(txMachine* the)
{
	long total = 0;
	txSlot* heap = the->firstHeap;
	while (heap) {
		total += (long)(heap->value.reference - heap - 1);
		heap = heap->next;
	}
	return total;
}

static long gxBallast = 0;

/* Applies the profile above the current (just collected) state. Returns 0 or an error message. */
static const char* applyLimits(txMachine* the, const Profile* profile)
{
	if (profile->chunk > 0) {
		txBlock* block = the->firstBlock;
		if (!block || block->nextBlock) return "chunk heap is not a single block after the baseline collection";
		if ((block->limit - block->current) < profile->chunk) return "machine created too small for the chunk budget";
		block->limit = block->current + profile->chunk;
		the->minimumChunksSize = 0;
	}
	if (profile->slots > 0) {
		long free = totalSlots(the) - (long)the->currentHeapCount;
		long ballast;
		int tries;
		for (tries = 0; (free < profile->slots) && (tries < 8); tries++) {
			fxGrowSlots(the, (txSize)(profile->slots - free + 64));
			free = totalSlots(the) - (long)the->currentHeapCount;
		}
		ballast = free - profile->slots;
		if (ballast < 0) return "cannot make the slot heap big enough for the slot budget";
		xsBeginHost(the);
		{
			txSlot* instance;
			long i;
			xsVars(1);
			xsVar(0) = xsNewObject();
			xsDefine(xsGlobal, xsID("__deviceRunnerBallast"), xsVar(0), xsDontEnum | xsDontDelete | xsDontSet);
			instance = fxGetInstance(the, &xsVar(0));
			for (i = 0; i < ballast; i++) {
				txSlot* slot = fxNewSlot(the);
				slot->kind = XS_UNDEFINED_KIND;
				slot->ID = XS_NO_ID;
				slot->flag = XS_NO_FLAG;
				slot->next = instance->next;
				instance->next = slot;
			}
			gxBallast = ballast;
		}
		xsEndHost(the);
		the->minimumHeapCount = 0;
	}
	return NULL;
}

/*
 * Preload (the default for profiles with limits): the load phase's heap becomes what the Moddable
 * SDK's preloaded modules are on the device, read-only data in flash that no collection marks,
 * sweeps or moves. XS's own machinery for that is used: fxShare marks every slot of the load
 * phase (a marked instance is read-only to XS, and one that is not frozen gets an alias ID, so a
 * write copies it into RAM, as on the device) and the runner allocates the alias table. Then the
 * load phase's slot blocks and its chunk block leave the collector's lists: a fresh slot block of
 * exactly the profile's slots and a fresh chunk block of exactly the profile's bytes become the
 * heap. Each load-phase chunk is left forwarding to itself, so a RAM slot that shares one (a
 * string copied by reference) keeps its pointer when a collection compacts RAM. The
 * engine's job queues, which C code appends to directly, are made anew in RAM.
 * With --check-preload, checkPreload() then proves after each phase that no load-phase slot points
 * into RAM (so nothing that only a read-only slot held can have been collected): the report's
 * preload.violations*, -1 when not checked. --no-preload keeps the load phase in the collected heap
 * (the earlier model, with "ballast" slots).
 */
#define DEVICE_CHUNK_FLAG 0x80000000
static txSlot* gxPreloadHeap = NULL;    /* the load phase's slot blocks, chained as XS chains them */
static txBlock* gxPreloadBlock = NULL;  /* the load phase's chunk block */
static txBlock* gxRamBlock = NULL;      /* the profile's chunk block (malloc'ed here, freed here) */
static long gxPreloadSlots = 0, gxPreloadChunks = 0;
static txSlot* gxRamHeaps = NULL;     /* the->firstHeap while checkPreload runs */

static const char* preload(txMachine* the, const Profile* profile)
{
	txBlock* block = the->firstBlock;
	txByte* chunk;
	if (!block || block->nextBlock) return "chunk heap is not a single block after the baseline collection";
	gxPreloadSlots = (long)the->currentHeapCount;
	gxPreloadChunks = (long)the->currentChunksSize;
	fxShare(the);
	if (the->aliasCount) {
		the->aliasArray = (txSlot**)c_malloc_uint32(the->aliasCount * sizeof(txSlot*));
		if (!the->aliasArray) return "cannot allocate the alias table";
		c_memset(the->aliasArray, 0, the->aliasCount * sizeof(txSlot*));
	}
	for (chunk = (txByte*)block + sizeof(txBlock); chunk < block->current; ) {
		txSize size = ((txChunk*)chunk)->size & ~DEVICE_CHUNK_FLAG;
		if (size <= 0) return "chunk heap walk failed after the baseline collection";
		((txChunk*)chunk)->temporary = chunk;
		chunk += size;
	}
	gxPreloadBlock = block;
	gxRamBlock = (txBlock*)c_malloc(sizeof(txBlock) + profile->chunk);
	if (!gxRamBlock) return "cannot allocate the chunk heap";
	gxRamBlock->nextBlock = NULL;
	gxRamBlock->current = (txByte*)gxRamBlock + sizeof(txBlock);
	gxRamBlock->limit = gxRamBlock->current + profile->chunk;
	gxRamBlock->temporary = NULL;
	the->firstBlock = gxRamBlock;
	the->currentChunksSize = 0;
	the->peakChunksSize = 0;
	the->minimumChunksSize = 0;

	gxPreloadHeap = the->firstHeap;
	{
		/* What XS keeps read-only in flash: a write throws a TypeError, as on the device. */
		txSlot* heap;
		for (heap = gxPreloadHeap; heap; heap = heap->next) {
			txSlot* slot;
			for (slot = heap + 1; slot < heap->value.reference; slot++) {
				switch (slot->kind) {
				case XS_MAP_KIND: case XS_SET_KIND: case XS_WEAK_MAP_KIND: case XS_WEAK_SET_KIND: case XS_ARRAY_BUFFER_KIND:
					slot->flag |= XS_DONT_SET_FLAG;
					break;
				default: break;
				}
			}
		}
	}
	the->firstHeap = NULL;
	the->freeHeap = NULL;
	the->currentHeapCount = 0;
	the->peakHeapCount = 0;
	the->maximumHeapCount = 0;
	fxGrowSlots(the, (txSize)(profile->slots + 1)); /* + the block's header slot */
	the->minimumHeapCount = 0;

	fxNewInstance(the); mxPull(mxModuleQueue);
	fxNewInstance(the); mxPull(mxUnhandledPromises);
	fxNewInstance(the); mxPull(mxDuringJobs);
	fxNewInstance(the); mxPull(mxFinalizationRegistries);
	fxNewInstance(the); mxPull(mxPendingJobs);
	fxNewInstance(the); mxPull(mxRunningJobs);
	return NULL;
}

static int inRam(void* address)
{
	txSlot* heap;
	if (!address) return 0;
	if (gxRamBlock && (txByte*)address >= (txByte*)gxRamBlock && (txByte*)address < gxRamBlock->limit) return 1;
	for (heap = gxRamHeaps; heap; heap = heap->next)
		if ((txSlot*)address > heap && (txSlot*)address < heap->value.reference) return 1;
	return 0;
}

/* Load-phase slots that point into RAM: each is a write that bypassed XS's aliases. */
static long checkPreload(txMachine* the)
{
	long found = 0;
	txSlot* heap;
	gxRamHeaps = the->firstHeap;
	for (heap = gxPreloadHeap; heap; heap = heap->next) {
		txSlot* slot;
		for (slot = heap + 1; slot < heap->value.reference; slot++) {
			if (inRam(slot->next)) found++;
			switch (slot->kind) {
			case XS_REFERENCE_KIND: if (inRam(slot->value.reference)) found++; break;
			case XS_CLOSURE_KIND: if (inRam(slot->value.closure)) found++; break;
			case XS_INSTANCE_KIND: if (inRam(slot->value.instance.prototype)) found++; break;
			case XS_STRING_KIND: if (inRam(slot->value.string)) found++; break;
			case XS_BIGINT_KIND: if (inRam(slot->value.bigint.data)) found++; break;
			case XS_ARRAY_KIND: if (inRam(slot->value.array.address)) found++; break;
			default: break;
			}
		}
	}
	return found;
}

/* Gives XS back its own blocks before the machine is deleted. */
static void unpreload(txMachine* the)
{
	txSlot* heap;
	if (!gxPreloadHeap) return;
	for (heap = gxPreloadHeap; heap->next; heap = heap->next) ;
	heap->next = the->firstHeap;
	the->firstHeap = gxPreloadHeap;
	the->firstBlock = gxPreloadBlock;
	c_free(gxRamBlock);
	gxPreloadHeap = NULL;
}

/* Calls device[name](arg) and lets promise jobs and immediates run until nothing is left. */
static void runPhase(txMachine* the, char* name, const char* arg)
{
	gxSettled = 0;
	xsBeginHost(the);
	{
		xsVars(4);
		xsVar(0) = xsGet(xsGlobal, xsID("device"));
		xsVar(1) = xsCall1(xsVar(0), xsID(name), xsString((char*)arg));
		xsVar(2) = xsGet(xsGlobal, xsID("Promise"));
		xsVar(3) = xsCall1(xsVar(2), xsID("resolve"), xsVar(1));
		xsCall2(xsVar(3), xsID("then"), xsNewHostFunction(xs_settledOk, 1), xsNewHostFunction(xs_settledError, 1));
	}
	xsEndHost(the);
	fxRunLoop(the);
}

static void usage(void)
{
	fprintf(stderr, "usage: device-runner [--profile esp32|esp32c3|psram|host] [--chunk BYTES] [--slots N] [--stack N] [--arg TEXT] [--setup-only] [--no-preload] [--check-preload] SCRIPT.js\n");
}

static int runnerMain(int argc, char* argv[])
{
	Profile profile = gxProfiles[0];
	const char* script = NULL;
	const char* arg = "";
	int setupOnly = 0;
	const char* cpuProfile = NULL; /* --cpuprofile FILE: XS's sampling profiler over the flow (host build only) */
	int noPreload = 0, checkPreloadAfter = 0;
	long violationsSetup = -1, violationsFlow = -1;
	int argi;
	int exitCode = 0;
	char path[C_PATH_MAX];
	char message[512] = "";
	char native[1024] = "{}";
	Usage baseline = { 0, 0, 0 }, afterSetup = { 0, 0, 0 };
	long peakChunks = 0, peakSlots = 0, flowPeakChunks = 0, flowPeakSlots = 0;
	unsigned long long computronsSetup = 0, computronsFlow = 0, mark = 0;
	char computrons[96];
	unsigned long long instructionsSetup = 0, instructionsFlow = 0, instructionsMark = 0;
	/* What the runner's card and wire (native-card-line.c) retired: taken out of the counts above. */
	unsigned long long cardLineSetup = 0, cardLineFlow = 0;
	long baseSlotsTotal = 0;
	xsMachine* machine;
	txSlot* originalStackBottom = NULL;

	for (argi = 1; argi < argc; argi++) {
		const char* a = argv[argi];
		const char* value = (argi + 1 < argc) ? argv[argi + 1] : NULL;
		if (!strcmp(a, "--profile") && value) {
			size_t i, found = 0;
			for (i = 0; i < sizeof(gxProfiles) / sizeof(gxProfiles[0]); i++) {
				if (!strcmp(gxProfiles[i].name, value)) { profile = gxProfiles[i]; found = 1; }
			}
			if (!found) { fprintf(stderr, "device-runner: unknown profile %s (esp32, esp32c3, psram, host)\n", value); return EXIT_USAGE; }
			argi++;
		}
		else if (!strcmp(a, "--chunk") && value) { profile.chunk = atol(value); profile.name = "custom"; argi++; }
		else if (!strcmp(a, "--slots") && value) { profile.slots = atol(value); profile.name = "custom"; argi++; }
		else if (!strcmp(a, "--stack") && value) { profile.stack = atol(value); profile.name = "custom"; argi++; }
		else if (!strcmp(a, "--arg") && value) { arg = value; argi++; }
		else if (!strcmp(a, "--cpuprofile") && value) { cpuProfile = value; argi++; }
		else if (!strcmp(a, "--setup-only")) setupOnly = 1;
		else if (!strcmp(a, "--no-preload")) noPreload = 1;
		else if (!strcmp(a, "--check-preload")) checkPreloadAfter = 1;
		else if (!strcmp(a, "-v")) { xsVersion(path, sizeof(path)); printf("XS %s\n", path); return 0; }
		else if (a[0] == '-') { usage(); return EXIT_USAGE; }
		else script = a;
	}
	if (!script) { usage(); return EXIT_USAGE; }
	if (!c_realpath(script, path)) { fprintf(stderr, "device-runner: file not found: %s\n", script); return EXIT_USAGE; }

	{
		/* Big enough to load any bundle; the profile's limits are applied after the load. */
		xsCreation creation = {
			64 * 1024 * 1024,      /* initialChunkSize */
			4 * 1024 * 1024,       /* incrementalChunkSize (load only) */
			32 * 1024,             /* initialHeapCount: kept small, since every collection sweeps the whole slot heap */
			8 * 1024,              /* incrementalHeapCount (load only) */
			64 * 1024,             /* stackCount while loading: an iife bundle's top level holds every module's bindings */
			32000,                 /* initialKeyCount */
			8000,                  /* incrementalKeyCount: keys live outside the chunk heap (malloc) on the device too */
			(xsIntegerValue)profile.nameModulo,
			(xsIntegerValue)profile.symbolModulo,
			8 * 1024 * 1024,       /* parserBufferSize: the device runs precompiled bytecode */
			1993,                  /* parserTableModulo */
			0,
		};
		xsInitializeSharedCluster();
		machine = xsCreateMachine(&creation, "device-runner", NULL);
	}
	if (!machine) { fprintf(stderr, "device-runner: cannot create the XS machine\n"); return EXIT_ABORT; }

	runnerBegin(machine);
	{
		xsBeginHost(machine);
		{
			xsVars(1);
			xsResult = xsNewHostFunction(xs_print, 1);
			xsDefine(xsGlobal, xsID("print"), xsResult, xsDontEnum);
			xsResult = xsNewHostFunction(xs_instructions, 0);
			xsDefine(xsGlobal, xsID("instructions"), xsResult, xsDontEnum);
			xsResult = xsNewHostFunction(xs_gc, 0);
			xsDefine(xsGlobal, xsID("gc"), xsResult, xsDontEnum);
			xsResult = xsNewHostFunction(xs_setImmediate, 1);
			xsDefine(xsGlobal, xsID("setImmediate"), xsResult, xsDontEnum);
			modInstallTextDecoder(the);
			modInstallTextEncoder(the);
			nativeCryptoInstall(the);
			nativeFlashInstall(the);
			nativeCardLineInstall(the);
			xsRunProgramFile(path);
		}
		xsEndHost(machine);
		fxRunLoop(machine);

		collect(machine);
		/* The stack limit: profile.stack free slots from where the stack stands after the load. */
		originalStackBottom = machine->stackBottom;
		if (machine->stack - profile.stack > machine->stackBottom)
			machine->stackBottom = machine->stack - profile.stack;
		{
			const char* problem = (!noPreload && profile.chunk > 0 && profile.slots > 0) ? preload(machine, &profile) : applyLimits(machine, &profile);
			if (problem) {
				fprintf(stderr, "device-runner: %s\n", problem);
				machine->abortStatus = -1;
				goto done;
			}
		}
		collect(machine);
		baseline = usageNow(machine);
		baseSlotsTotal = totalSlots(machine);
		machine->peakChunksSize = machine->currentChunksSize;
		machine->peakHeapCount = machine->currentHeapCount;

		gxPhase = 1;
		mark = computronsNow(machine);
		instructionsMark = instructionsNow();
		nativeCardLineTake();
		runPhase(machine, "setup", arg);
		instructionsSetup = instructionsNow() - instructionsMark;
		cardLineSetup = nativeCardLineTake();
		instructionsSetup -= cardLineSetup;
		computronsSetup = computronsNow(machine) - mark;
		if (gxSettled != 1) goto done;
		if (gxPreloadHeap && checkPreloadAfter) {
			violationsSetup = checkPreload(machine);
			if (violationsSetup) goto done;
		}
		collect(machine);
		afterSetup = usageNow(machine);
		peakChunks = (long)machine->peakChunksSize - baseline.chunks;
		peakSlots = (long)machine->peakHeapCount - baseline.slots;
		machine->peakChunksSize = machine->currentChunksSize;
		machine->peakHeapCount = machine->currentHeapCount;

		if (!setupOnly) {
			gxPhase = 2;
			mark = computronsNow(machine);
			nativeCryptoReset();
			instructionsMark = instructionsNow();
#ifdef mxProfile
			if (cpuProfile) fxStartProfiling(machine);
#endif
			nativeCardLineTake();
			runPhase(machine, "flow", arg);
			instructionsFlow = instructionsNow() - instructionsMark;
			cardLineFlow = nativeCardLineTake();
			instructionsFlow -= cardLineFlow;
#ifdef mxProfile
			if (cpuProfile) {
				FILE* out = fopen(cpuProfile, "w");
				if (out) { fxStopProfiling(machine, out); fclose(out); }
			}
#endif
			computronsFlow = computronsNow(machine) - mark;
			if (gxSettled != 1) goto done;
			if (gxPreloadHeap && checkPreloadAfter) violationsFlow = checkPreload(machine);
		}
		gxPhase = 3;
	done:
		;
	}
	runnerEnd(machine);

	if (violationsSetup > 0 || violationsFlow > 0) {
		exitCode = EXIT_PRELOAD_WRITTEN;
		snprintf(message, sizeof(message), "%ld load-phase slots point into RAM after %s: preloaded state was written behind XS's aliases (a pending promise or a collection created at load?)", violationsSetup > 0 ? violationsSetup : violationsFlow, violationsSetup > 0 ? "setup" : "flow");
	}
	else if (machine->abortStatus == -1) exitCode = EXIT_USAGE;
	else if (machine->abortStatus == XS_NOT_ENOUGH_MEMORY_EXIT) {
		exitCode = EXIT_MEMORY_FULL;
		snprintf(message, sizeof(message), "memory full during %s (profile %s: %ld chunk bytes, %ld slots above the baseline)", gxPhaseNames[gxPhase], profile.name, profile.chunk, profile.slots);
	}
	else if (machine->abortStatus == XS_STACK_OVERFLOW_EXIT) {
		exitCode = EXIT_STACK_OVERFLOW;
		snprintf(message, sizeof(message), "stack overflow during %s (profile %s: %ld stack slots)", gxPhaseNames[gxPhase], profile.name, profile.stack);
	}
	else if (machine->abortStatus) {
		exitCode = (gxPhase == 0) ? EXIT_USAGE : EXIT_ABORT;
		snprintf(message, sizeof(message), "XS aborted with status %d during %s", machine->abortStatus, gxPhaseNames[gxPhase]);
	}
	else if (gxPhase < 3 && gxSettled == 2) {
		exitCode = EXIT_FLOW_FAILED;
		snprintf(message, sizeof(message), "%s failed", gxPhaseNames[gxPhase]);
	}
	else if (gxPhase < 3) {
		exitCode = EXIT_NOT_SETTLED;
		snprintf(message, sizeof(message), "%s never settled: its promise waits on something nothing will do", gxPhaseNames[gxPhase]);
	}
	if (message[0]) fprintf(stderr, "device-runner: %s\n", message);

	if (gxPhase >= 2) nativeCryptoReport(native, sizeof(native));
	/* Peaks of the flow, and of a phase that stopped (how far it got). */
	if (gxPhase == 1 && machine->abortStatus) {
		peakChunks = (long)machine->peakChunksSize - baseline.chunks;
		peakSlots = (long)machine->peakHeapCount - baseline.slots;
	}
	if ((gxPhase == 2 && machine->abortStatus) || (gxPhase == 3 && !setupOnly)) {
		flowPeakChunks = (long)machine->peakChunksSize - afterSetup.chunks;
		flowPeakSlots = (long)machine->peakHeapCount - afterSetup.slots;
		if ((long)machine->peakChunksSize - baseline.chunks > peakChunks) peakChunks = (long)machine->peakChunksSize - baseline.chunks;
		if ((long)machine->peakHeapCount - baseline.slots > peakSlots) peakSlots = (long)machine->peakHeapCount - baseline.slots;
	}

	/* Computrons where XS meters (the x86_64 runner); null on the RV32 target, whose XS does not
	 * meter, as the device's does not: its instructions are the device's work alone. */
#ifdef mxMetering
	snprintf(computrons, sizeof(computrons), "{\"setup\":%llu,\"flow\":%llu}", computronsSetup, computronsFlow);
#else
	snprintf(computrons, sizeof(computrons), "null");
	(void)computronsSetup;
	(void)computronsFlow;
#endif
	printf("{\"runner\":\"device-runner\",\"profile\":{\"name\":\"%s\",\"chunk\":%ld,\"slots\":%ld,\"stack\":%ld},"
		"\"slotBytes\":%d,\"pointerBytes\":%d,"
		"\"status\":\"%s\",\"exitCode\":%d,\"memoryFull\":%s,\"stackOverflow\":%s,\"phase\":\"%s\",\"message\":\"%s\","
		"\"baseline\":{\"chunks\":%ld,\"slots\":%ld,\"slotsTotal\":%ld,\"ballastSlots\":%ld,\"keys\":%ld},"
		"\"preload\":{\"on\":%s,\"aliases\":%ld,\"violationsSetup\":%ld,\"violationsFlow\":%ld},"
		"\"afterSetup\":{\"chunks\":%ld,\"slots\":%ld,\"keys\":%ld},"
		"\"peakChunks\":%ld,\"peakSlots\":%ld,\"flowPeakChunks\":%ld,\"flowPeakSlots\":%ld,"
		"\"computrons\":%s,"
		"\"instructions\":{\"counter\":\"%s\",\"setup\":%llu,\"flow\":%llu},\"cardLine\":{\"setup\":%llu,\"flow\":%llu},\"native\":%s,\"setupOnly\":%s}\n",
		profile.name, profile.chunk, profile.slots, profile.stack,
		(int)sizeof(txSlot), (int)sizeof(void*),
		exitCode == 0 ? "ok" : (exitCode == EXIT_MEMORY_FULL ? "memory-full" : "failed"), exitCode,
		exitCode == EXIT_MEMORY_FULL ? "true" : "false", exitCode == EXIT_STACK_OVERFLOW ? "true" : "false",
		gxPhaseNames[gxPhase], message,
		gxPreloadBlock ? gxPreloadChunks : baseline.chunks, gxPreloadBlock ? gxPreloadSlots : baseline.slots - gxBallast, baseSlotsTotal, gxBallast, baseline.keys,
		gxPreloadBlock ? "true" : "false", (long)machine->aliasCount, violationsSetup, violationsFlow,
		afterSetup.chunks, afterSetup.slots, afterSetup.keys,
		peakChunks, peakSlots, flowPeakChunks, flowPeakSlots,
		computrons,
		INSTRUCTION_COUNTER, instructionsSetup, instructionsFlow, cardLineSetup, cardLineFlow, native, setupOnly ? "true" : "false");
	fflush(stdout);
	if (originalStackBottom) machine->stackBottom = originalStackBottom;
	unpreload(machine);
	xsDeleteMachine(machine);
	xsTerminateSharedCluster();
	return exitCode;
}

#ifdef DEVICE_RUNNER_RV32
/* The arguments come from QEMU's -semihosting-config arg=..., the exit code goes to its test device. */
int main(void)
{
	static char commandLine[4096];
	char* argv[32];
	int argc = rv32Arguments(commandLine, sizeof(commandLine), argv, 32);
	rv32Exit(runnerMain(argc, argv));
}
#else
int main(int argc, char* argv[])
{
	return runnerMain(argc, argv);
}
#endif
