/*
 * The terminal's NOR flash chip in the device runner: the journal partition as memory outside the
 * JavaScript heap, as the ESP32's SPI flash is, behind the calls Moddable's `flash` module makes
 * (read copies out, write programs, erase clears a block). NOR rules as ESP-IDF's
 * esp_partition_write / esp_partition_erase_range: a write only clears bits (the stored byte
 * becomes old AND new), an erase sets a whole block to 0xFF.
 *
 * Globals installed by nativeFlashInstall():
 *   nativeFlashOpen(byteLength, blockSize)   a blank (0xFF) chip of that size; again: blank again
 *   nativeFlashRead(offset, length)          a copy as a new ArrayBuffer
 *   nativeFlashWrite(offset, buffer, from, length)   programs length bytes of the ArrayBuffer from `from`
 *   nativeFlashErase(block)
 * Every call throws RangeError for an access outside the chip.
 */
#include "xsAll.h"
#include "xs.h"
#include "native-flash.h"

static unsigned char* gxFlash = NULL;
static xsIntegerValue gxFlashSize = 0;
static xsIntegerValue gxFlashBlock = 0;

static void checkRange(txMachine* the, xsIntegerValue offset, xsIntegerValue length)
{
	if (!gxFlash) xsTypeError("native flash: not open");
	if (offset < 0 || length < 0 || offset > gxFlashSize - length)
		xsRangeError("native flash: %d bytes at %d is outside the chip (%d bytes)", (int)length, (int)offset, (int)gxFlashSize);
}

static void xs_nativeFlashOpen(txMachine* the)
{
	xsIntegerValue size = xsToInteger(xsArg(0));
	xsIntegerValue block = xsToInteger(xsArg(1));
	if (size <= 0 || block <= 0 || size % block) xsRangeError("native flash: %d bytes is not a whole number of %d-byte blocks", (int)size, (int)block);
	if (gxFlash) c_free(gxFlash);
	gxFlash = c_malloc(size);
	if (!gxFlash) xsUnknownError("native flash: out of memory");
	c_memset(gxFlash, 0xFF, size);
	gxFlashSize = size;
	gxFlashBlock = block;
}

static void xs_nativeFlashRead(txMachine* the)
{
	xsIntegerValue offset = xsToInteger(xsArg(0));
	xsIntegerValue length = xsToInteger(xsArg(1));
	checkRange(the, offset, length);
	xsResult = xsArrayBuffer(gxFlash + offset, length);
}

static void xs_nativeFlashWrite(txMachine* the)
{
	xsIntegerValue offset = xsToInteger(xsArg(0));
	xsIntegerValue from = xsToInteger(xsArg(2));
	xsIntegerValue length = xsToInteger(xsArg(3));
	xsIntegerValue i;
	const unsigned char* data;
	if (!xsIsInstanceOf(xsArg(1), xsArrayBufferPrototype)) xsTypeError("native flash: ArrayBuffer expected");
	if (from < 0 || length < 0 || from > xsGetArrayBufferLength(xsArg(1)) - length) xsRangeError("native flash: %d bytes from %d is outside the buffer", (int)length, (int)from);
	checkRange(the, offset, length);
	data = (const unsigned char*)xsToArrayBuffer(xsArg(1)) + from;
	for (i = 0; i < length; i++) gxFlash[offset + i] &= data[i];
}

static void xs_nativeFlashErase(txMachine* the)
{
	xsIntegerValue block = xsToInteger(xsArg(0));
	if (!gxFlash) xsTypeError("native flash: not open");
	if (block < 0 || block >= gxFlashSize / gxFlashBlock) xsRangeError("native flash: block %d does not exist (0..%d)", (int)block, (int)(gxFlashSize / gxFlashBlock - 1));
	c_memset(gxFlash + block * gxFlashBlock, 0xFF, gxFlashBlock);
}

void nativeFlashInstall(txMachine* the)
{
	static const struct { const char* name; xsCallback callback; int length; } functions[] = {
		{ "nativeFlashOpen", xs_nativeFlashOpen, 2 },
		{ "nativeFlashRead", xs_nativeFlashRead, 2 },
		{ "nativeFlashWrite", xs_nativeFlashWrite, 4 },
		{ "nativeFlashErase", xs_nativeFlashErase, 1 },
	};
	size_t i;
	for (i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
		xsResult = xsNewHostFunction(functions[i].callback, functions[i].length);
		xsDefine(xsGlobal, xsID((txString)functions[i].name), xsResult, xsDontEnum);
	}
}
