/* The device's native cryptography in the device runner (native-crypto.c). */
#ifndef __NATIVE_CRYPTO__
#define __NATIVE_CRYPTO__

/* Defines the native* globals on the machine (inside xsBeginHost). */
extern void nativeCryptoInstall(txMachine* the);
/* Zeroes the call and instruction counts (at the start of a phase). */
extern void nativeCryptoReset(void);
/* Writes {"name":{"calls":N,"instructions":N},...} for the functions called since the reset. */
extern int nativeCryptoReport(char* buffer, int size);

#endif
