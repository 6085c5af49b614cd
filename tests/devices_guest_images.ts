/**
 * Tiny 32-bit guests for the device tests, assembled from tests/data/devices/*.S
 * by tests/data/devices/build.sh (GNU as/ld/objcopy), loaded at 0x100000.
 *
 * @module
 */

/** A flat guest image and the address of its interrupt handler. */
export interface DeviceGuest {
  /** Bytes to load at 0x100000. */
  readonly code: Uint8Array;
  /** Linear address of the interrupt handler. */
  readonly handler: number;
}

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16)));
}

/** Guest pitpic.S. */
export const pitpic: DeviceGuest = {
  code: fromHex(
    "bc000017000f011d70001000b011e620b020e621b004e621b001e621b011e6a0b028e6a1b002e6a1" +
      "b001e6a1b0fee621b0ffe6a1b034e643b09ce640b02ee640c7050010180000000000fbf4833d0010" +
      "18000a72f6faa100101800e6f4f4ebfdff050010180050b020e62058cf8d7600ff0700001800" + "",
  ),
  handler: 0x00100060,
};

/** Guest lapic.S. */
export const lapic: DeviceGuest = {
  code: fromHex(
    "bc000017000f011d78001000b0ffe621b0ffe6a1c705f000e0feff010000c705e003e0fe0b000000" +
      "c7052003e0fe30000200c7058003e0fe40420f00c7050010180000000000fbf4833d001018000a72" +
      "f6fac7058003e0fe00000000a100101800e6f4f4ebfdff0500101800c705b000e0fe00000000cf90" +
      "ff0700001800" + "",
  ),
  handler: 0x00100066,
};

/** Guest ioapic.S. */
export const ioapic: DeviceGuest = {
  code: fromHex(
    "bc000017000f011d70001000b0ffe621b0ffe6a1c705f000e0feff010000c7050000c0fe14000000" +
      "c7051000c0fe31000000b034e643b09ce640b02ee640c7050010180000000000fbf4833d00101800" +
      "0a72f6faa100101800e6f4f4ebfdff0500101800c705b000e0fe00000000cf90ff0700001800" + "",
  ),
  handler: 0x0010005e,
};

/** Guest uart.S. */
export const uart: DeviceGuest = {
  code: fromHex(
    "bc000017000f011d0c011000b011e620b020e621b004e621b001e621b011e6a0b028e6a1b002e6a1" +
      "b001e6a1b0efe621b0ffe6a166bafb03b080ee66baf803b001ee66baf903b000ee66bafb03b003ee" +
      "66bafa03b0c7ee66bafc03b00beec7050010180000000000c705081018000000000066baf903b001" +
      "eefa833d00101800037304fbf4ebf2c705041018000601100066baf903b003eefa833d0810180000" +
      "7504fbf4ebf2a100101800e6f4f4ebfd50525666bafa03eca8017542240e3c02741066baf803ec2c" +
      "20eeff0500101800ebe18b35041018008a0684c0740d66baf803eeff0504101800ebc866baf903b0" +
      "01eec7050810180001000000ebb5b020e6205e5a58cf210a008d7600ff0700001800" + "",
  ),
  handler: 0x001000b0,
};

/** Guest x2apic.S. */
export const x2apic: DeviceGuest = {
  code: fromHex(
    "bc000017000f011dac001000b0ffe621b0ffe6a1b91b0000000f32a30c10180025fff7ffff0f300d" +
      "000800000f300d000400000f3031d2b90f080000b8ff0100000f30b93e080000b80b0000000f30b9" +
      "32080000b8300002000f30b938080000b840420f000f30c7050010180000000000fa833d00101800" +
      "0a7304fbf4ebf2b93808000031c031d20f30a100101800e6f4f4ebfdff0500101800505152b90b08" +
      "000031c031d20f305a5958cfff0700001800" + "",
  ),
  handler: 0x00100094,
};

/** Guest rtc.S. */
export const rtc: DeviceGuest = {
  code: fromHex(
    "bc000017000f011d8c001000b011e620b020e621b004e621b001e621b011e6a0b028e6a1b002e6a1" +
      "b001e6a1b0fbe621b0fee6a1b08ae670b026e671b08be670e4710c4088c4b08be67088e0e671b00c" +
      "e670e471c7050010180000000000fa833d001018000a7304fbf4ebf2a100101800e6f4f4ebfd50ff" +
      "0500101800b00ce670e471b020e6a0e62058cf90ff0700001800" + "",
  ),
  handler: 0x00100076,
};

/** Guest ferr.S. */
export const ferr: DeviceGuest = {
  code: fromHex(
    "bc000017000f011da8001000b011e620b020e621b004e621b001e621b011e6a0b028e6a1b002e6a1" +
      "b001e6a1b0fbe621b0dfe6a10f20c083e0d383c8020f22c0c7050010180000000000c7050c101800" +
      "63001000dbe3d92da4001000d9e8d9eed8f9fb9b9bfadfe0a314101800a100101800e6f4f4ebfd50" +
      "ff05001018008b442404a304101800dfe0a308101800e6f0833d10101800007502dbe2b020e6a0e6" +
      "2058cf907b036690ff0700001800" + "",
  ),
  handler: 0x00100077,
};
