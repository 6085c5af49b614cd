/*
 * fp64 guest: enables SSE (CR4.OSFXSR | OSXMMEXCPT, CR0.MP, CR0.EM clear)
 * and runs the double-precision workload, printing each line on the serial
 * console; tests/fp_guest_test.ts compares it with the host's output.
 */
#include "rt.h"
#include "fpwork.h"
#include "sse_on.h"

static void out(const char *line) { printf("%s\n", line); }

int kmain(uint32_t magic, uint32_t mbi) {
  sse_on();
  fp_main(out);
  return 0;
}
