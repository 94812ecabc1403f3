// How a driver is given its I2C device (ECMA-419 IO Class Pattern): the I2C class, injected so
// the twin can pass its own, and the bus options the driver opens it with.
import type I2C from 'embedded:io/i2c';

/** ECMA-419 I2C class and options: SDA and SCL pins, bus clock (Hz), 7-bit address, controller. */
export interface I2cBusOptions {
  readonly io: typeof I2C;
  readonly data: number;
  readonly clock: number;
  /** Bus clock, Hz (each driver names its default). */
  readonly hz?: number;
  /** 7-bit address (each driver names its part's default). */
  readonly address?: number;
  readonly port?: number;
}
