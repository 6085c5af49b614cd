/* Host twin of the fp64 guest: prints the workload's lines to stdout. */
#include <stdio.h>
#include "fpwork.h"

static void out(const char *line) { printf("%s\n", line); }

int main(void) {
  fp_main(out);
  return 0;
}
