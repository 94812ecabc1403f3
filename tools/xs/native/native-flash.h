/* The terminal's NOR flash chip in the device runner (native-flash.c). */
#ifndef __NATIVE_FLASH__
#define __NATIVE_FLASH__

/* Defines the nativeFlash* globals on the machine (inside xsBeginHost). */
extern void nativeFlashInstall(txMachine* the);

#endif
