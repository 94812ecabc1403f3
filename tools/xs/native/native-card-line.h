/* The card and its wire beyond the smart-card UART, in the device runner (native-card-line.c). */
#ifndef __NATIVE_CARD_LINE__
#define __NATIVE_CARD_LINE__

/* Defines the nativeCardLine* globals on the machine (inside xsBeginHost). */
extern void nativeCardLineInstall(txMachine* the);
/* Instructions the card line's calls retired since the last take (RV32; 0 on the host): not the terminal's. */
extern unsigned long long nativeCardLineTake(void);

#endif
