/*
 * XS platform for the bare-metal RV32 device runner: picolibc with semihosting, one machine,
 * no threads, no sockets, no clock (time stands still: the runner measures work, not time).
 * Chosen by -DXSPLATFORM="rv32-platform.h" in tools/xs/build-device-runner.mjs --target rv32.
 * Where the ESP32-C3 (RV32IMC, no FPU) differs from this (flash cache, XIP code fetch), the
 * emulator counts retired instructions only; tools/bench/bench.ts states the cycles it assumes.
 */
#ifndef __RV32_PLATFORM__
#define __RV32_PLATFORM__

#undef mxLittleEndian
#define mxLittleEndian 1

#define mxExport extern
#define mxImport extern
#define XS_FUNCTION_NORETURN __attribute__((noreturn))

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

/* The fields xsnap's platform gives a machine, less its debugger socket: the runner's C is shared. */
#define mxMachinePlatform \
	int abortStatus; \
	int promiseJobs; \
	void* timerJobs; \
	void* waiterCondition; \
	void* waiterData; \
	void* waiterLink;

#define mxUseDefaultBuildKeys 1
#define mxUseDefaultChunkAllocation 1
#define mxUseDefaultSlotAllocation 1
#define mxUseDefaultParseScript 1
#define mxUseDefaultSharedChunks 1
#define mxUseDefaultDebug 1

#define mxSeparator '/'
#define C_PATH_MAX 256

#define c_timeval timeval
#define c_timezone timezone
extern int c_gettimeofday(struct timeval* tv, void* tz);

extern char* c_realpath(const char* path, char* real);

/* xsSnapshot.c's byte order helpers (no <arpa/inet.h> on bare metal; RV32 is little-endian). */
#define htonl(x) __builtin_bswap32(x)
#define ntohl(x) __builtin_bswap32(x)

#define mxCESU8 1

#endif /* __RV32_PLATFORM__ */
