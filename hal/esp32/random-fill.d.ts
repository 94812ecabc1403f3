// The type of random-fill.js (the binding of random-fill.c): esp_fill_random() over the ESP32's
// hardware RNG with its entropy source on (bootloader_random_enable(): no radio runs). This is
// hardware-random.ts HardwareRandomOptions.fill on the device.

/** Fills `target` in place with bytes from the hardware RNG. */
export declare function fillRandom(target: Uint8Array): void;
