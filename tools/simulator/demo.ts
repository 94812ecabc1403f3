// The simulator's demo (README "Trying the terminal"): the seed its issuer, terminal and cards are
// made from, so that the centre (center/centre-key.ts) can certify with the same demo issuer
// without loading the simulator.

export const DEMO = Object.freeze({
  seed: 'ic-credit demo',
  // The encrypted card channel ([0021]) with every card that has the key for it (carol), in clear with the others.
  terminal: Object.freeze({ terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31', secureChannel: 'when-supported' as const }),
  cards: Object.freeze([
    Object.freeze({ label: 'alice', registrationNumber: '12345678', settingNumber: '1357', expiry: '2030-12-31', cardNumber: '0000000000000A11' }),
    Object.freeze({ label: 'bob', registrationNumber: '87654321', settingNumber: '2468', expiry: '2030-12-31', cardNumber: '0000000000000B0B' }),
    Object.freeze({ label: 'carol', registrationNumber: '24681357', settingNumber: '9753', expiry: '2030-12-31', cardNumber: '0000000000000C0C', agreementKey: true }),
  ]),
});
