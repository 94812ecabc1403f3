/*
 * smartcard-uart.c: ISO/IEC 7816-3 characters for the ESP32 under the Moddable SDK (ESP-IDF 5.x).
 *
 * Two small host classes, bound by smartcard-uart.js and typed by smartcard-uart.d.ts:
 *
 *   SmartCardUart  an ECMA-419 Serial with what a smart-card line needs and Moddable's ESP32
 *                  Serial (8N1 only) lacks: 8 data bits + parity + 2 stop bits (12 etu a character,
 *                  ISO 7816-3 §8.3), transmit open drain on the wire it also receives from (the one
 *                  I/O contact, §5.2), a parity verdict per character, the bit rate, parity sense
 *                  and extra guard time changed on the open port (set()).
 *   SmartCardClock the card clock on an LEDC channel at 1-bit resolution (50 % duty), reporting the
 *                  frequency the LEDC divider reached (`hz`): ECMA-419 PWM's shape. Moddable's PWM
 *                  takes no resolution under 8 bits, which caps it at 312.5 kHz, below any card clock.
 *
 * The C carries bytes only. Everything written is also heard back (echo) and is delivered like
 * the card's characters; hal/esp32/card-interface.ts drops it, and does ATR, PPS, T=0 and T=1
 * nothing: that lives in firmware/iso7816.
 *
 * Receive path: ESP-IDF's UART driver (ISR + ring buffer + event queue) with the RX FIFO full
 * threshold at 1, so each character is moved on arrival; a FreeRTOS task takes the events in order,
 * copies characters into a ring of 16-bit entries (byte | 0x100 when flagged) and posts one
 * "readable" message to the XS machine; read() takes one entry. The driver's ISR handles a full
 * FIFO before a parity error, so the UART_PARITY_ERR event follows the UART_DATA event of the bad
 * character and the flag goes onto the last character copied. If several characters arrive before
 * the ISR runs, the flag may land on a later one of them: T=1 only needs to know the block had one.
 *
 * Not supported: the T=0 error signal and character repetition (§7.3): the UART cannot pull I/O low
 * in the guard time of a bad character, nor see the card do so.
 */

#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"			// xsID_* of the option names
#include "builtinCommon.h"

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "driver/uart.h"
#include "driver/gpio.h"
#include "driver/ledc.h"
#include "esp_rom_gpio.h"
#include "soc/uart_periph.h"

#define kParityError		0x100
#define kRxCapacity			512		// characters waiting for read(): more than a T=1 block (3 + 254 + 2)
#define kRxBufferBytes		1024	// ESP-IDF ring buffer between ISR and task
#define kEventQueueLength	32
#define kTaskStack			3072
#define kTaskPriority		10		// above the XS task, so characters are never left in the ring buffer for long

typedef struct SmartCardUartRecord SmartCardUartRecord;
typedef SmartCardUartRecord *SmartCardUart;

struct SmartCardUartRecord {
	xsSlot			obj;
	xsMachine		*the;
	xsSlot			*onReadable;
	uart_port_t		port;
	int				transmit;
	int				receive;
	uint32_t		baud;			// as reached (uart_get_baudrate)
	uint8_t			guardBits;
	uint8_t			posted;			// a "readable" message is on its way to the machine
	uint8_t			closed;
	volatile uint8_t	useCount;	// the object, plus each posted message
	QueueHandle_t	events;
	SemaphoreHandle_t	stopped;
	portMUX_TYPE	lock;
	uint16_t		head;
	uint16_t		count;
	uint16_t		rx[kRxCapacity];
};

static void scuart_task(void *refcon);
static void scuart_deliver(void *the, void *refcon, uint8_t *message, uint16_t length);
static void scuart_mark(xsMachine *the, void *it, xsMarkRoot markRoot);
void xs_smartcarduart_destructor(void *data);

static const xsHostHooks ICACHE_RODATA_ATTR gSmartCardUartHooks = {
	xs_smartcarduart_destructor,
	scuart_mark,
	NULL
};

static void scuart_release(SmartCardUart sc)
{
	if (0 == __atomic_sub_fetch(&sc->useCount, 1, __ATOMIC_SEQ_CST))
		c_free(sc);
}

static uart_parity_t scuart_parity(xsMachine *the, xsSlot *value)
{
	const char *parity = xsmcToString(*value);
	if (!c_strcmp(parity, "even")) return UART_PARITY_EVEN;
	if (!c_strcmp(parity, "odd")) return UART_PARITY_ODD;
	xsRangeError("invalid parity");
	return UART_PARITY_DISABLE;
}

// Applies baud, parity and guard time from an options/settings object (what it holds).
static void scuart_settings(xsMachine *the, SmartCardUart sc, xsSlot *options)
{
	xsmcVars(1);
	if (xsmcHas(*options, xsID_baud)) {
		xsmcGet(xsVar(0), *options, xsID_baud);
		int baud = xsmcToInteger(xsVar(0));
		if ((baud < 1200) || (baud > 5000000))
			xsRangeError("invalid baud");
		// The divider is 80 MHz / baud in 20.4 fixed point; read back the rate it reached.
		if (ESP_OK != uart_set_baudrate(sc->port, baud))
			xsUnknownError("uart_set_baudrate failed");
		uart_get_baudrate(sc->port, &sc->baud);
	}
	if (xsmcHas(*options, xsID_parity)) {
		xsmcGet(xsVar(0), *options, xsID_parity);
		// Even in direct convention; odd when an inverse-convention card is read LSB first (§8.1).
		if (ESP_OK != uart_set_parity(sc->port, scuart_parity(the, &xsVar(0))))
			xsUnknownError("uart_set_parity failed");
	}
	if (xsmcHas(*options, xsID_guardBits)) {
		xsmcGet(xsVar(0), *options, xsID_guardBits);
		int guard = xsmcToInteger(xsVar(0));
		if ((guard < 0) || (guard > 254))
			xsRangeError("invalid guardBits");
		sc->guardBits = (uint8_t)guard;
	}
}

void xs_smartcarduart_constructor(xsMachine *the)
{
	SmartCardUart sc;
	uart_config_t config = {0};
	int port, transmit, receive;
	xsSlot *onReadable;

	xsmcVars(1);

	xsmcGet(xsVar(0), xsArg(0), xsID_port);
	port = builtinGetSignedInteger(the, &xsVar(0));
	if ((port < 0) || (port >= UART_NUM_MAX))
		xsRangeError("invalid port");
	if (uart_is_driver_installed(port))
		xsUnknownError("port in use");

	xsmcGet(xsVar(0), xsArg(0), xsID_transmit);
	transmit = builtinGetPin(the, &xsVar(0));
	xsmcGet(xsVar(0), xsArg(0), xsID_receive);
	receive = builtinGetPin(the, &xsVar(0));
	if (!builtinIsPinFree(transmit) || ((receive != transmit) && !builtinIsPinFree(receive)))
		xsUnknownError("in use");

	if (kIOFormatNumber != builtinInitializeFormat(the, kIOFormatNumber))
		xsRangeError("invalid format");
	onReadable = builtinGetCallback(the, xsID_onReadable);
	builtinInitializeTarget(the);

	sc = c_calloc(1, sizeof(SmartCardUartRecord));
	if (!sc)
		xsRangeError("no memory");
	sc->port = port;
	sc->transmit = transmit;
	sc->receive = receive;
	sc->useCount = 1;
	sc->lock = (portMUX_TYPE)portMUX_INITIALIZER_UNLOCKED;
	xsmcSetHostData(xsThis, sc);	// from here the destructor cleans up whatever was set up

	// 8 data bits, parity, 2 stop bits: a character of 12 etu, the ISO 7816-3 minimum (§8.3).
	config.baud_rate = 9600;
	config.data_bits = UART_DATA_8_BITS;
	config.parity = UART_PARITY_EVEN;
	config.stop_bits = UART_STOP_BITS_2;
	config.flow_ctrl = UART_HW_FLOWCTRL_DISABLE;
	config.source_clk = UART_SCLK_DEFAULT;
	// The driver: RX ring buffer, no TX ring buffer (uart_write_bytes then copies into the FIFO and
	// waits for room), an event queue that carries UART_DATA and UART_PARITY_ERR in order.
	if (ESP_OK != uart_driver_install(port, kRxBufferBytes, 0, kEventQueueLength, &sc->events, 0))
		xsUnknownError("uart_driver_install failed");
	if (ESP_OK != uart_param_config(port, &config))
		xsUnknownError("uart_param_config failed");
	// Route TX and RX through the GPIO matrix to the pins of the interface chip's I/OUC.
	if (ESP_OK != uart_set_pin(port, transmit, receive, UART_PIN_NO_CHANGE, UART_PIN_NO_CHANGE))
		xsUnknownError("uart_set_pin failed");
	// Open drain with the input kept on: the transmitter only pulls I/O low, the card can pull it
	// low too, and the pad reads the wire (both sides' characters: our echo included).
	gpio_set_direction(transmit, GPIO_MODE_INPUT_OUTPUT_OD);
	gpio_set_pull_mode(transmit, GPIO_PULLUP_ONLY);		// the chip has its own pull-up; this one holds I/O while it is off
	if (receive == transmit)
		// One pad for both: feed the pad's input to the UART's RX signal explicitly (uart_set_pin
		// of older ESP-IDF 5 releases routes RX only when it is another pin).
		esp_rom_gpio_connect_in_signal(receive, UART_PERIPH_SIGNAL(port, SOC_UART_RX_PIN_IDX), false);
	else
		gpio_set_pull_mode(receive, GPIO_PULLUP_ONLY);
	// Move every character out of the FIFO on arrival, so parity events stay with their character.
	uart_set_rx_full_threshold(port, 1);
	uart_set_rx_timeout(port, 2);

	scuart_settings(the, sc, &xsArg(0));
	uart_get_baudrate(port, &sc->baud);

	sc->stopped = xSemaphoreCreateBinary();
	if (!sc->stopped)
		xsRangeError("no memory");

	sc->obj = xsThis;
	sc->the = the;
	sc->onReadable = onReadable;
	xsSetHostHooks(xsThis, (xsHostHooks *)&gSmartCardUartHooks);

	if (pdPASS != xTaskCreate(scuart_task, "scuart", kTaskStack, sc, kTaskPriority, NULL)) {
		vSemaphoreDelete(sc->stopped);
		sc->stopped = NULL;
		xsUnknownError("no task");
	}

	xsRemember(sc->obj);
	builtinUsePin(transmit);
	if (receive != transmit)
		builtinUsePin(receive);
}

// Stops the task (an out-of-range event tells it to), then releases the UART and the pins.
static void scuart_stop(SmartCardUart sc)
{
	if (sc->closed)
		return;
	sc->closed = 1;
	if (sc->stopped) {
		uart_event_t stop = { .type = UART_EVENT_MAX, .size = 0 };
		xQueueSendToBack(sc->events, &stop, portMAX_DELAY);
		xSemaphoreTake(sc->stopped, portMAX_DELAY);
		vSemaphoreDelete(sc->stopped);
		sc->stopped = NULL;
	}
	if (uart_is_driver_installed(sc->port))
		uart_driver_delete(sc->port);
	gpio_reset_pin(sc->transmit);		// back to an input: the card interface's I/OUC floats up
	builtinFreePin(sc->transmit);
	if (sc->receive != sc->transmit)
		builtinFreePin(sc->receive);
}

void xs_smartcarduart_destructor(void *data)
{
	SmartCardUart sc = data;
	if (!sc)
		return;
	scuart_stop(sc);
	scuart_release(sc);
}

void xs_smartcarduart_close(xsMachine *the)
{
	SmartCardUart sc = xsmcGetHostData(xsThis);
	if (!sc || !xsmcGetHostDataValidate(xsThis, (void *)&gSmartCardUartHooks))
		return;
	xsForget(sc->obj);
	xsmcSetHostData(xsThis, NULL);
	xs_smartcarduart_destructor(sc);
}

static SmartCardUart scuart_open(xsMachine *the)
{
	SmartCardUart sc = xsmcGetHostDataValidate(xsThis, (void *)&gSmartCardUartHooks);
	if (!sc || sc->closed)
		xsUnknownError("closed");
	return sc;
}

void xs_smartcarduart_read(xsMachine *the)
{
	SmartCardUart sc = scuart_open(the);
	int character = -1;

	portENTER_CRITICAL(&sc->lock);
	if (sc->count) {
		character = sc->rx[sc->head];
		sc->head = (sc->head + 1) % kRxCapacity;
		sc->count--;
	}
	portEXIT_CRITICAL(&sc->lock);
	if (character >= 0)
		xsmcSetInteger(xsResult, character);
}

// readInto(target, offset): copies waiting characters into the Uint8Array from offset, as many as
// fit, and stops before a character flagged with a parity error (read() then gives it, flagged).
// Returns how many were copied: one call per batch instead of one per character.
void xs_smartcarduart_readInto(xsMachine *the)
{
	SmartCardUart sc = scuart_open(the);
	void *data;
	xsUnsignedValue length;
	int offset = xsmcToInteger(xsArg(1)), copied = 0;
	uint8_t *target;

	xsmcGetBufferWritable(xsArg(0), &data, &length);
	if ((offset < 0) || ((xsUnsignedValue)offset > length))
		xsRangeError("offset %d outside the buffer", offset);
	target = (uint8_t *)data + offset;
	length -= offset;
	portENTER_CRITICAL(&sc->lock);
	while (sc->count && ((xsUnsignedValue)copied < length) && !(sc->rx[sc->head] & kParityError)) {
		target[copied++] = (uint8_t)sc->rx[sc->head];
		sc->head = (sc->head + 1) % kRxCapacity;
		sc->count--;
	}
	portEXIT_CRITICAL(&sc->lock);
	xsmcSetInteger(xsResult, copied);
}

void xs_smartcarduart_write(xsMachine *the)
{
	SmartCardUart sc = scuart_open(the);
	void *data;
	xsUnsignedValue length;

	xsmcGetBufferReadable(xsArg(0), &data, &length);
	if (0 == sc->guardBits) {
		// 2 stop bits already give the 12 etu of N = 0; the bytes go out back to back.
		if ((int)length != uart_write_bytes(sc->port, data, length))
			xsUnknownError("write failed");
		return;
	}
	// N > 0 (TC1): N idle etu after each character. One character at a time, waiting for it to
	// leave, then busy-waiting the extra time: blocks the machine for the whole write, but cards
	// with N > 0 are rare and the extra time is at most 254 etu a character.
	uint32_t extraUs = (uint32_t)(((uint64_t)sc->guardBits * 1000000) / sc->baud);
	for (xsUnsignedValue i = 0; i < length; i++) {
		if (1 != uart_write_bytes(sc->port, (const char *)data + i, 1))
			xsUnknownError("write failed");
		uart_wait_tx_done(sc->port, portMAX_DELAY);
		esp_rom_delay_us(extraUs);
	}
}

void xs_smartcarduart_set(xsMachine *the)
{
	SmartCardUart sc = scuart_open(the);
	// Wait for what is in the FIFO to leave at the old rate (after PPS, the request's last byte).
	uart_wait_tx_done(sc->port, portMAX_DELAY);
	scuart_settings(the, sc, &xsArg(0));
}

void xs_smartcarduart_flush(xsMachine *the)
{
	SmartCardUart sc = scuart_open(the);
	uart_flush_input(sc->port);			// characters the task has not taken yet
	portENTER_CRITICAL(&sc->lock);
	sc->head = 0;
	sc->count = 0;
	portEXIT_CRITICAL(&sc->lock);
}

void xs_smartcarduart_get_baud(xsMachine *the)
{
	SmartCardUart sc = scuart_open(the);
	xsmcSetInteger(xsResult, sc->baud);
}

// FreeRTOS task: UART events in order, characters into the ring, one message to the machine.
static void scuart_task(void *refcon)
{
	SmartCardUart sc = refcon;
	uart_event_t event;
	uint8_t bytes[32];

	while (xQueueReceive(sc->events, &event, portMAX_DELAY)) {
		if (UART_EVENT_MAX == event.type)
			break;
		if (UART_DATA == event.type) {
			size_t remaining = event.size;
			while (remaining) {
				int got = uart_read_bytes(sc->port, bytes, remaining < sizeof(bytes) ? remaining : sizeof(bytes), 0);
				if (got <= 0)
					break;
				remaining -= got;
				portENTER_CRITICAL(&sc->lock);
				for (int i = 0; (i < got) && (sc->count < kRxCapacity); i++) {
					sc->rx[(sc->head + sc->count) % kRxCapacity] = bytes[i];
					sc->count++;
				}
				portEXIT_CRITICAL(&sc->lock);
			}
		}
		else if ((UART_PARITY_ERR == event.type) || (UART_FRAME_ERR == event.type)) {
			// The character just copied failed its parity check (or its stop bits: as unreliable).
			portENTER_CRITICAL(&sc->lock);
			if (sc->count)
				sc->rx[(sc->head + sc->count - 1) % kRxCapacity] |= kParityError;
			portEXIT_CRITICAL(&sc->lock);
		}
		else if ((UART_FIFO_OVF == event.type) || (UART_BUFFER_FULL == event.type)) {
			// Characters were lost: drop what is left so the protocol sees a gap, not a splice.
			uart_flush_input(sc->port);
			xQueueReset(sc->events);
		}

		uint8_t post = 0;
		portENTER_CRITICAL(&sc->lock);
		if (sc->count && !sc->posted && sc->onReadable) {
			sc->posted = 1;
			post = 1;
		}
		portEXIT_CRITICAL(&sc->lock);
		if (post) {
			__atomic_add_fetch(&sc->useCount, 1, __ATOMIC_SEQ_CST);
			if (modMessagePostToMachine(sc->the, NULL, 0, scuart_deliver, sc)) {
				sc->posted = 0;
				scuart_release(sc);
			}
		}
	}
	xSemaphoreGive(sc->stopped);
	vTaskDelete(NULL);
}

// On the machine's thread: onReadable(count), with `this` the port (ECMA-419).
static void scuart_deliver(void *the, void *refcon, uint8_t *message, uint16_t length)
{
	SmartCardUart sc = refcon;
	uint16_t count;

	portENTER_CRITICAL(&sc->lock);
	sc->posted = 0;
	count = sc->count;
	portEXIT_CRITICAL(&sc->lock);
	if (!sc->closed && count) {
		xsBeginHost(the);
			xsmcVars(1);
			xsmcSetInteger(xsVar(0), count);
			xsCallFunction1(xsReference(sc->onReadable), sc->obj, xsVar(0));
		xsEndHost(the);
	}
	scuart_release(sc);
}

static void scuart_mark(xsMachine *the, void *it, xsMarkRoot markRoot)
{
	SmartCardUart sc = it;
	if (sc->onReadable)
		(*markRoot)(the, sc->onReadable);
}

/*
 * SmartCardClock: LEDC timer and channel (options `timer`, `channel`; default 3 and 7, so
 * Moddable's PWM, which allocates from 0, keeps its own) in low-speed mode (every ESP32 variant has
 * it) at 1-bit resolution from the 80 MHz APB clock: f = 80 MHz·256 / (2 · divider), divider in
 * 10.8 fixed point. `hz` is ledc_get_freq(): the frequency the programmed divider gives.
 */
typedef struct {
	int			pin;
	ledc_timer_t	timer;
	ledc_channel_t	channel;
	uint32_t	hz;
	uint8_t		resolution;
	uint8_t		open;
} SmartCardClockRecord;

void xs_smartcardclock_destructor(void *data)
{
	SmartCardClockRecord *clock = data;
	if (!clock)
		return;
	if (clock->open) {
		ledc_stop(LEDC_LOW_SPEED_MODE, clock->channel, 0);	// CLK low (§6.4)
		ledc_timer_pause(LEDC_LOW_SPEED_MODE, clock->timer);
		builtinFreePin(clock->pin);
	}
	c_free(clock);
}

void xs_smartcardclock_constructor(xsMachine *the)
{
	SmartCardClockRecord *clock;
	int pin, hz, resolution = 1, timer = LEDC_TIMER_3, channel = LEDC_CHANNEL_7;

	xsmcVars(1);
	xsmcGet(xsVar(0), xsArg(0), xsID_pin);
	pin = builtinGetPin(the, &xsVar(0));
	if (!builtinIsPinFree(pin))
		xsUnknownError("in use");
	xsmcGet(xsVar(0), xsArg(0), xsID_hz);
	hz = xsmcToInteger(xsVar(0));
	if ((hz < 1000000) || (hz > 20000000))
		xsRangeError("invalid hz");		// ISO 7816-3 cards run at 1..20 MHz (Table 7 fmax)
	if (xsmcHas(xsArg(0), xsID_resolution)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_resolution);
		resolution = xsmcToInteger(xsVar(0));
		if ((resolution < 1) || (resolution > 4))
			xsRangeError("invalid resolution");	// 2^resolution · hz must stay under 80 MHz
	}
	if (xsmcHas(xsArg(0), xsID_timer)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_timer);
		timer = xsmcToInteger(xsVar(0));
		if ((timer < 0) || (timer >= LEDC_TIMER_MAX))
			xsRangeError("invalid timer");
	}
	if (xsmcHas(xsArg(0), xsID_channel)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_channel);
		channel = xsmcToInteger(xsVar(0));
		if ((channel < 0) || (channel >= LEDC_CHANNEL_MAX))
			xsRangeError("invalid channel");
	}

	clock = c_calloc(1, sizeof(SmartCardClockRecord));
	if (!clock)
		xsRangeError("no memory");
	clock->pin = pin;
	clock->timer = timer;
	clock->channel = channel;
	xsmcSetHostData(xsThis, clock);

	ledc_timer_config_t timerConfig = {
		.speed_mode = LEDC_LOW_SPEED_MODE,
		.duty_resolution = resolution,
		.timer_num = timer,
		.freq_hz = hz,
		.clk_cfg = LEDC_USE_APB_CLK,	// 80 MHz, stable across light sleep is not needed: the card is off then
	};
	if (ESP_OK != ledc_timer_config(&timerConfig))
		xsUnknownError("ledc_timer_config failed");	// no divider reaches hz at this resolution
	ledc_channel_config_t channelConfig = {
		.gpio_num = pin,
		.speed_mode = LEDC_LOW_SPEED_MODE,
		.channel = channel,
		.timer_sel = timer,
		.duty = 0,			// CLK low until write(): the caller starts it when VCC is up
		.hpoint = 0,
	};
	if (ESP_OK != ledc_channel_config(&channelConfig))
		xsUnknownError("ledc_channel_config failed");
	clock->hz = ledc_get_freq(LEDC_LOW_SPEED_MODE, timer);
	clock->resolution = (uint8_t)resolution;
	clock->open = 1;
	builtinUsePin(pin);
}

void xs_smartcardclock_write(xsMachine *the)
{
	SmartCardClockRecord *clock = xsmcGetHostData(xsThis);
	if (!clock || !clock->open)
		xsUnknownError("closed");
	ledc_set_duty(LEDC_LOW_SPEED_MODE, clock->channel, xsmcToInteger(xsArg(0)));
	ledc_update_duty(LEDC_LOW_SPEED_MODE, clock->channel);
}

void xs_smartcardclock_get_hz(xsMachine *the)
{
	SmartCardClockRecord *clock = xsmcGetHostData(xsThis);
	if (clock)
		xsmcSetInteger(xsResult, clock->hz);
}

void xs_smartcardclock_get_resolution(xsMachine *the)
{
	SmartCardClockRecord *clock = xsmcGetHostData(xsThis);
	if (clock)
		xsmcSetInteger(xsResult, clock->resolution);
}

void xs_smartcardclock_close(xsMachine *the)
{
	SmartCardClockRecord *clock = xsmcGetHostData(xsThis);
	if (!clock)
		return;
	xsmcSetHostData(xsThis, NULL);
	xs_smartcardclock_destructor(clock);
}
