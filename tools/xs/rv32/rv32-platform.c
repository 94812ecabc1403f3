/*
 * The bare-metal RV32 device runner's side of XS (see rv32-platform.h): the run loop with promise
 * jobs and zero-delay timers (xsnapPlatform.c's, without a clock), fxAbort as xsnap has it (the
 * runner reads abortStatus), scripts read whole through semihosting and parsed from memory, the
 * command line from SYS_GET_CMDLINE, the retired-instruction counter, and the end of the run
 * through the QEMU virt test device (its exit code becomes QEMU's).
 */
#include "xsAll.h"
#include "xsScript.h"
#include "rv32-runner.h"
#include <semihost.h>

typedef struct sxJob txJob;

struct sxJob {
	txJob* next;
	txMachine* the;
	txSlot self;
	txSlot function;
	txSlot argument;
};

static void fxDestroyTimer(void* data)
{
}

static void fxMarkTimer(txMachine* the, void* it, txMarkRoot markRoot)
{
	txJob* job = it;
	if (job) {
		(*markRoot)(the, &job->function);
		(*markRoot)(the, &job->argument);
	}
}

static txHostHooks gxTimerHooks = {
	fxDestroyTimer,
	fxMarkTimer
};

/* setImmediate / setTimeout(f, ms): the runner has no clock, so every timer is due at once, in order. */
void fxSetTimer(txMachine* the, txNumber interval, txBoolean repeat)
{
	txJob* job;
	txJob** address = (txJob**)&(the->timerJobs);
	if (repeat)
		mxTypeError("no repeating timers in the device runner");
	while ((job = *address))
		address = &(job->next);
	job = *address = c_malloc(sizeof(txJob));
	if (!job)
		fxAbort(the, XS_NOT_ENOUGH_MEMORY_EXIT);
	c_memset(job, 0, sizeof(txJob));
	job->the = the;
	fxNewHostObject(the, NULL);
	mxPull(job->self);
	job->function = *mxArgv(0);
	job->argument = (mxArgc > 2) ? *mxArgv(2) : mxUndefined;
	fxSetHostData(the, &job->self, job);
	fxSetHostHooks(the, &job->self, &gxTimerHooks);
	fxRemember(the, &job->self);
	fxAccess(the, &job->self);
	*mxResult = the->scratch;
}

void fxAbort(txMachine* the, int status)
{
	switch (status) {
	case XS_STACK_OVERFLOW_EXIT:
		fxReport(the, "stack overflow\n");
		break;
	case XS_NOT_ENOUGH_MEMORY_EXIT:
		fxReport(the, "memory full\n");
		break;
	case XS_NO_MORE_KEYS_EXIT:
		fxReport(the, "not enough keys\n");
		break;
	case XS_UNHANDLED_REJECTION_EXIT:
		fxReport(the, "unhandled rejection: %s\n", fxToString(the, &mxException));
		mxException = mxUndefined;
		return;
	default:
		fxReport(the, "fxAbort(%d) - %s\n", status, fxToString(the, &mxException));
		break;
	}
	the->abortStatus = status;
	fxExitToHost(the);
}

void fxCreateMachinePlatform(txMachine* the)
{
}

void fxDeleteMachinePlatform(txMachine* the)
{
}

void fxQueuePromiseJobs(txMachine* the)
{
	the->promiseJobs = 1;
}

void fxRunLoop(txMachine* the)
{
	txJob* job;
	txJob** address;
	for (;;) {
		while (the->promiseJobs) {
			the->promiseJobs = 0;
			fxRunPromiseJobs(the);
		}
		fxEndJob(the);
		if (the->promiseJobs)
			continue;
		address = (txJob**)&(the->timerJobs);
		if (!*address)
			break;
		while ((job = *address)) {
			if (job->the) {
				fxBeginHost(the);
				mxTry(the) {
					mxPushUndefined();
					mxPush(job->function);
					mxCall();
					mxPush(job->argument);
					mxRunCount(1);
					mxPop();
				}
				mxCatch(the) {
					fxAbort(the, XS_UNHANDLED_EXCEPTION_EXIT);
				}
				if (job->the) {
					fxAccess(the, &job->self);
					*mxResult = the->scratch;
					fxForget(the, &job->self);
					fxSetHostData(the, mxResult, NULL);
					job->the = NULL;
				}
				fxEndHost(the);
				break; /* run the promise jobs the timer queued before the next timer */
			}
			*address = job->next;
			c_free(job);
		}
	}
	fxCheckUnhandledRejections(the, 1);
}

txID fxFindModule(txMachine* the, txSlot* realm, txID moduleID, txSlot* slot)
{
	return XS_NO_ID; /* the runner runs one bundled script: there are no modules to find */
}

void fxLoadModule(txMachine* the, txSlot* module, txID moduleID)
{
}

void fxVersion(txString theBuffer, txSize theSize)
{
	c_snprintf(theBuffer, theSize, "%d.%d.%d", XS_MAJOR_VERSION, XS_MINOR_VERSION, XS_PATCH_VERSION);
}

#ifdef mxMetering
txUnsigned fxGetCurrentMeter(txMachine* the)
{
	return the->meterIndex;
}

void fxSetCurrentMeter(txMachine* the, txUnsigned value)
{
	the->meterIndex = value;
}
#endif

int c_gettimeofday(struct timeval* tv, void* tz)
{
	if (tv) {
		tv->tv_sec = 0;
		tv->tv_usec = 0;
	}
	return 0;
}

char* c_realpath(const char* path, char* real)
{
	size_t length = c_strlen(path);
	if (length >= C_PATH_MAX)
		return C_NULL;
	c_memcpy(real, path, length + 1);
	return real;
}

typedef struct {
	const char* bytes;
	size_t size;
	size_t offset;
} txMemoryStream;

static int fxGetMemoryCharacter(void* it)
{
	txMemoryStream* stream = it;
	if (stream->offset >= stream->size)
		return C_EOF;
	return (unsigned char)stream->bytes[stream->offset++];
}

/* The whole file in one malloc'd block (semihosting reads it in one call), NUL-terminated. */
static char* readWholeFile(const char* path, size_t* size)
{
	FILE* file = fopen(path, "rb");
	char* bytes = NULL;
	size_t capacity = 0, length = 0;
	if (!file)
		return NULL;
	for (;;) {
		size_t count;
		if (capacity - length < 65536) {
			char* grown = realloc(bytes, capacity + 1024 * 1024 + 1);
			if (!grown) { free(bytes); fclose(file); return NULL; }
			bytes = grown;
			capacity += 1024 * 1024;
		}
		count = fread(bytes + length, 1, capacity - length, file);
		if (count == 0)
			break;
		length += count;
	}
	fclose(file);
	bytes[length] = 0;
	*size = length;
	return bytes;
}

void fxRunProgramFile(txMachine* the, txString path)
{
	txSlot* realm = mxProgram.value.reference->next->value.module.realm;
	txMemoryStream stream;
	txScript* script;
	char* bytes = readWholeFile(path, &stream.size);
	if (!bytes)
		mxURIError("cannot read %s through semihosting", path);
	stream.bytes = bytes;
	stream.offset = 0;
	script = fxParseScript(the, &stream, fxGetMemoryCharacter, mxProgramFlag);
	free(bytes);
	if (!script)
		mxSyntaxError("cannot parse %s", path);
	mxModuleInstanceInternal(mxProgram.value.reference)->value.module.id = fxID(the, path);
	fxRunScript(the, script, mxRealmGlobal(realm), C_NULL, mxRealmClosures(realm)->value.reference, C_NULL, mxProgram.value.reference);
	mxPullSlot(mxResult);
}

unsigned long long rv32Instret(void)
{
	uint32_t high, low, again;
	do {
		__asm__ volatile (
			".option push\n.option arch, +zicsr\n"
			"csrr %0, instreth\ncsrr %1, instret\ncsrr %2, instreth\n"
			".option pop"
			: "=r"(high), "=r"(low), "=r"(again));
	} while (high != again);
	return ((unsigned long long)high << 32) | low;
}

int rv32Arguments(char* buffer, int size, char** argv, int most)
{
	int argc = 0;
	char* p = buffer;
	if (sys_semihost_get_cmdline(buffer, size) != 0)
		return 0;
	buffer[size - 1] = 0;
	while (*p && argc < most) {
		while (*p == ' ') p++;
		if (!*p) break;
		argv[argc++] = p;
		while (*p && *p != ' ') p++;
		if (*p) *p++ = 0;
	}
	return argc;
}

/* QEMU virt's SiFive test device: 0x5555 ends the run with status 0, (code << 16) | 0x3333 with code. */
#define RV32_TEST_DEVICE ((volatile uint32_t*)0x100000)

void rv32Exit(int code)
{
	fflush(stdout);
	fflush(stderr);
	*RV32_TEST_DEVICE = code ? (((uint32_t)code << 16) | 0x3333) : 0x5555;
	for (;;) ;
}
