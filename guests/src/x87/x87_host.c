/* Host twin of the x87 guest: prints the workload's lines to stdout. */
#include <stdio.h>
#include "x87work.h"

static void out(const char *line) { printf("%s\n", line); }

int main(void) {
  x87_main(out);
  return 0;
}
