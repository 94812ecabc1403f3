/*
 * Host bindings of smartcard-uart.c (Moddable's Native()/native() form, as the SDK's own
 * embedded:io modules use it). Shapes and documentation: smartcard-uart.d.ts. Device only: the
 * twin board (hal/twin/smartcard-io.ts) has host classes of the same shape for Node and XS tests.
 */

export const PARITY_ERROR = 0x100;

// The option names smartcard-uart.c reads as xsID_*: xsc makes an ID for every property name of the
// app, and these must exist even if no other module spells them.
Object.freeze({ port: 0, transmit: 0, receive: 0, baud: 0, parity: 0, guardBits: 0, onReadable: 0, pin: 0, hz: 0, resolution: 0, timer: 0, channel: 0 });

class SmartCardUart extends Native("xs_smartcarduart_destructor") {
	constructor(options) { super(); native("xs_smartcarduart_constructor").call(this, options); }
	close() { return native("xs_smartcarduart_close").call(this); }
	read() { return native("xs_smartcarduart_read").call(this); }
	readInto(target, offset) { return native("xs_smartcarduart_readInto").call(this, target, offset); }
	write(buffer) { return native("xs_smartcarduart_write").call(this, buffer); }
	set(settings) { return native("xs_smartcarduart_set").call(this, settings); }
	flush() { return native("xs_smartcarduart_flush").call(this); }
	get baud() { return native("xs_smartcarduart_get_baud").call(this); }

	get format() { return "number"; }
	set format(value) {
		if ("number" !== value)
			throw new RangeError("invalid format");
	}
}

export class SmartCardClock extends Native("xs_smartcardclock_destructor") {
	constructor(options) { super(); native("xs_smartcardclock_constructor").call(this, options); }
	close() { return native("xs_smartcardclock_close").call(this); }
	write(duty) { return native("xs_smartcardclock_write").call(this, duty); }
	get hz() { return native("xs_smartcardclock_get_hz").call(this); }
	get resolution() { return native("xs_smartcardclock_get_resolution").call(this); }

	get format() { return "number"; }
	set format(value) {
		if ("number" !== value)
			throw new RangeError("invalid format");
	}
}

export default SmartCardUart;
