// The Moddable SDK module declarations hal/esp32 types itself against (@moddable/typings 5.6.0),
// pulled into every build that compiles hal/: the drivers `import type` from them and nothing
// else, so the emitted JavaScript has no import of a Moddable module (the IO classes are injected).
// tsconfig.esp32.json lists the same files plus xs.d.ts (HostBuffer, BufferLike) for the strict
// device check; the Node builds leave xs.d.ts out, as its globals would change Node's ArrayBufferLike.
/// <reference path="../../node_modules/@moddable/typings/embedded_io/_common.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/embedded_io/digital.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/embedded_io/i2c.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/embedded_io/serial.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/embedded_io/pwm.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/flash.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/timer.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/time.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/mc/config.d.ts" />
