/*
 * Host binding of random-fill.c (Moddable's native() form, as smartcard-uart.js uses it). Type:
 * random-fill.d.ts. Device only: the twin board has TwinTerminalBoard.fillRandom in its place.
 */

export function fillRandom(target) {
	return native("xs_random_fill").call(undefined, target);
}
