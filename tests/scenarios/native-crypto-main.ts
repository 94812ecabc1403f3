// The device runner's model of the device's native crypto (tools/xs/native) checked against the
// same known answers as every other provider: tests/rv32.test.ts bundles this entry with
// DEVICE_NATIVE_CRYPTO (tools/bench/device.ts), so firmware/crypto/hash and firmware/crypto/p256
// are the runner's C (SHA-1/256/512, P-256 ECDSA) under the SDK-shaped modules, and runs it as the
// runner's "flow": one line per scenario, "ok - NAME" or "not ok - NAME: ERROR", and the flow
// rejects when any failed (exit 3). Engine-neutral; needs the runner's print().
import { cryptoProviderScenarios } from './crypto-provider-scenarios.js';

const print = (globalThis as unknown as { print: (text: string) => void }).print;

(globalThis as unknown as { device: unknown }).device = {
  setup(): void {},
  async flow(): Promise<void> {
    let failed = 0;
    for (const scenario of cryptoProviderScenarios) {
      try {
        await scenario.run();
        print(`ok - ${scenario.name}`);
      } catch (error) {
        failed++;
        print(`not ok - ${scenario.name}: ${(error as Error).name}: ${(error as Error).message}`);
      }
    }
    print(`${cryptoProviderScenarios.length - failed} passed, ${failed} failed`);
    if (failed > 0) throw new Error(`${failed} provider scenario(s) failed on the native crypto`);
  },
};
