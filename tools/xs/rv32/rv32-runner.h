/* What tools/xs/device-runner.c uses of the RV32 platform (rv32-platform.c). */
#ifndef __RV32_RUNNER__
#define __RV32_RUNNER__

#include "xs.h"

/* Instructions retired since reset (the instret CSR; exact under QEMU's -icount shift=0). */
extern unsigned long long rv32Instret(void);
/* Splits the semihosting command line (QEMU -semihosting-config arg=...) into argv; returns argc. */
extern int rv32Arguments(char* buffer, int size, char** argv, int most);
/* Ends the emulator with this exit code. */
extern void rv32Exit(int code) __attribute__((noreturn));

#define xsInitializeSharedCluster() fxInitializeSharedCluster()
#define xsTerminateSharedCluster() fxTerminateSharedCluster()
#define xsRunProgramFile(_PATH) fxRunProgramFile(the, _PATH)
extern void fxRunProgramFile(txMachine* the, txString path);
extern void fxRunLoop(txMachine* the);
extern void fxSetTimer(txMachine* the, txNumber interval, txBoolean repeat);
extern void fxVersion(txString theBuffer, txSize theSize);
#define xsVersion(_BUFFER, _SIZE) fxVersion(_BUFFER, _SIZE)


#endif /* __RV32_RUNNER__ */
