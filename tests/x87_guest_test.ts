/**
 * The x87 guest (guests/src/x87/: long double series, Newton iterations,
 * factorial and FBSTP, decimal formatting in C, rounding and precision
 * control, special values and exception flags, transcendental instructions
 * through inline asm; gcc -O2 with -m80387) must print exactly what the same
 * C prints when compiled for and run on the host
 * (tests/data/x87_host_output.txt, written by tools/x87-host/record.sh on an
 * AMD EPYC, family 26).
 */

import { hostComparisonTests } from "./host_output.ts";

hostComparisonTests({
  name: "x87",
  image: "x87_64.elf",
  hostOutput: "x87_host_output.txt",
  recorder: "x87-host/record.sh",
  contains: "basel ",
  lastLine: "x87 done",
});
