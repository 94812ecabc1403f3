/*
 * random-fill.c: the ESP32's hardware random number generator for JavaScript (ESP-IDF 5.x),
 * bound by random-fill.js and typed by random-fill.d.ts; hal/esp32/hardware-random.ts runs its
 * continuous test over what this returns.
 *
 * esp_fill_random() reads the RNG register (ESP32 TRM §25). Its bits are true random only while
 * an entropy source runs: the RF subsystem (Wi-Fi or Bluetooth on), or the SAR ADC noise source
 * that bootloader_random_enable() switches on (ESP-IDF "Random Number Generation"). The terminal
 * runs no radio (its modem is a separate SIM800), so the first call enables the ADC source and it
 * stays on. It must be turned off (bootloader_random_disable()) before the firmware ever uses the
 * SAR ADC, I2S or Wi-Fi; this firmware uses none of them.
 */

#include "xsmc.h"
#include "xsHost.h"

#include "esp_random.h"
#include "bootloader_random.h"

static uint8_t gEntropySource = 0;	// C state, not JavaScript state: preloading is unaffected

/* fillRandom(target): fills an ArrayBuffer or a view on one, in place. */
void xs_random_fill(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;

	if (!gEntropySource) {
		bootloader_random_enable();
		gEntropySource = 1;
	}
	xsmcGetBufferWritable(xsArg(0), &data, &length);
	esp_fill_random(data, length);
}
