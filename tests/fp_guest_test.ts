/**
 * The fp64 guest (guests/src/fp/: n-body, matrix multiply, string↔double,
 * conversions, MXCSR rounding modes, FTZ/DAZ, vectorised loops; gcc -O2
 * with SSE2) must print exactly what the same C prints when compiled for
 * and run on the host (tests/data/fp_host_output.txt, written by
 * tools/fp-host/record.sh on an AMD EPYC).
 */

import { hostComparisonTests } from "./host_output.ts";

hostComparisonTests({
  name: "fp64",
  image: "fp64.elf",
  hostOutput: "fp_host_output.txt",
  recorder: "fp-host/record.sh",
  contains: "nbody e1",
  lastLine: "fp done",
});
