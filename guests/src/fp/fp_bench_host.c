/* Host twin of the fpbench64 guest: `fp_bench_host N` prints what the guest prints for iterations=N. */
#include <stdio.h>
#include <stdlib.h>
#include "fpwork.h"

static void out(const char *line) { printf("%s\n", line); }

int main(int argc, char **argv) {
  fp_bench(argc > 1 ? (unsigned)strtoul(argv[1], 0, 10) : 10, out);
  return 0;
}
