/* Checksum workloads compiled both for the guest and for the build host; the host's results become expected.h. */
#ifndef NESTVM_CHECKSUMS_H
#define NESTVM_CHECKSUMS_H
#include <stdint.h>

typedef uint64_t (*checksum_fn)(void);
struct checksum {
  const char *name;
  checksum_fn fn;
};
extern const struct checksum checksums[];
extern const int checksum_count;
#endif
