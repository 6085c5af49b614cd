/* "iterations=N" from a Multiboot command line, for the benchmark guests. */
#ifndef NESTVM_ITERATIONS_H
#define NESTVM_ITERATIONS_H
#include "rt.h"

/* N from the first "iterations=N" in s (digits only), or `fallback` when absent or s is NULL. */
static inline uint32_t parse_iterations(const char *s, uint32_t fallback) {
  const char *key = "iterations=";
  for (; s && *s; s++) {
    const char *p = s, *k = key;
    while (*k && *p == *k) p++, k++;
    if (*k) continue;
    uint32_t n = 0;
    while (*p >= '0' && *p <= '9') n = n * 10 + (uint32_t)(*p++ - '0');
    return n;
  }
  return fallback;
}
#endif
