/* TAP output: plan, ok, diag, done (exit status 0 = all passed, 1 = failures). */
#include "rt.h"

static int planned = -1, count, failures;

void plan(int n) {
  planned = n;
  printf("1..%d\n", n);
}

bool ok(bool cond, const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  count++;
  if (!cond) failures++;
  printf("%sok %d - %s\n", cond ? "" : "not ", count, buf);
  return cond;
}

void diag(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  printf("# %s\n", buf);
}

int tap_failures(void) { return failures; }

void done(void) {
  bool mismatch = planned >= 0 && planned != count;
  if (planned < 0) printf("1..%d\n", count);
  if (mismatch) printf("# planned %d checks but ran %d\n", planned, count);
  if (failures) printf("# %d of %d checks failed\n", failures, count);
  rt_exit(failures || mismatch ? EXIT_FAIL : EXIT_PASS);
}
