/**
 * Test helper: a PC machine running a small flat 32-bit program (paging
 * off) at CODE, for the stub's unit tests.
 *
 * @module
 */

import type { PcMachine } from "../../plugins/pc_machine.ts";
import { bootFlat, createMachine } from "../../plugins/machine_builder.ts";

/** Code address of {@link loopMachine}'s program. */
export const CODE = 0x10000;

/**
 * A machine at CODE running, forever:
 * `inc eax; inc eax; mov [0x20000], eax; mov ebx, [0x20004]; jmp CODE`.
 */
export function loopMachine(): PcMachine {
  const m = createMachine({ memoryMiB: 4, serial: () => {} });
  // deno-fmt-ignore
  const code = new Uint8Array([
    0x40, //                          +0  inc eax
    0x40, //                          +1  inc eax
    0xa3, 0x00, 0x00, 0x02, 0x00, //  +2  mov [0x20000], eax
    0x8b, 0x1d, 0x04, 0x00, 0x02, 0x00, // +7 mov ebx, [0x20004]
    0xeb, 0xf1, //                    +13 jmp CODE
  ]);
  bootFlat(m, [{ addr: CODE, data: code }], CODE, "protected32");
  return m;
}
