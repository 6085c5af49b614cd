/* printf-lite: %d %i %u %x %X %p %s %c %% with l, ll, z, width, '0' and '-'. */
#include "rt.h"

struct out {
  char *buf;
  size_t size, len;
};

static void put(struct out *o, char c) {
  if (o->len + 1 < o->size) o->buf[o->len] = c;
  o->len++;
}

/* Divide *v by 10 with 32-bit operations only (no libgcc on i386). */
static unsigned div10(uint64_t *v) {
  uint32_t hi = (uint32_t)(*v >> 32), lo = (uint32_t)*v;
  uint32_t qhi = hi / 10, r = hi % 10;
  uint32_t cur = (r << 16) | (lo >> 16);
  uint32_t q1 = cur / 10;
  r = cur % 10;
  cur = (r << 16) | (lo & 0xffff);
  uint32_t q0 = cur / 10;
  r = cur % 10;
  *v = ((uint64_t)qhi << 32) | (q1 << 16) | q0;
  return r;
}

static void number(struct out *o, uint64_t v, bool neg, int base, bool upper, int width, bool zero, bool left) {
  char tmp[24];
  int n = 0;
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    if (base == 16) {
      tmp[n++] = digits[v & 15];
      v >>= 4;
    } else {
      tmp[n++] = digits[div10(&v)];
    }
  } while (v);
  int len = n + (neg ? 1 : 0);
  if (!left && !zero)
    for (; width > len; width--) put(o, ' ');
  if (neg) put(o, '-');
  if (!left && zero)
    for (; width > len; width--) put(o, '0');
  while (n) put(o, tmp[--n]);
  if (left)
    for (; width > len; width--) put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  struct out o = {buf, size, 0};
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(&o, *fmt);
      continue;
    }
    fmt++;
    bool zero = false, left = false;
    for (;; fmt++) {
      if (*fmt == '0') zero = true;
      else if (*fmt == '-') left = true;
      else break;
    }
    int width = 0;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    int lng = 0;
    while (*fmt == 'l') lng++, fmt++;
    if (*fmt == 'z') lng = sizeof(size_t) == 8 ? 2 : 0, fmt++;
    if (lng == 1 && sizeof(long) == 8) lng = 2;
    switch (*fmt) {
    case 'd':
    case 'i': {
      int64_t v = lng >= 2 ? va_arg(ap, int64_t) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
      number(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, width, zero, left);
      break;
    }
    case 'u':
    case 'x':
    case 'X': {
      uint64_t v = lng >= 2 ? va_arg(ap, uint64_t) : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
      number(&o, v, false, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, zero, left);
      break;
    }
    case 'p':
      put(&o, '0');
      put(&o, 'x');
      number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, width, zero, left);
      break;
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (!s) s = "(null)";
      int len = (int)strlen(s);
      if (!left)
        for (; width > len; width--) put(&o, ' ');
      while (*s) put(&o, *s++);
      if (left)
        for (; width > len; width--) put(&o, ' ');
      break;
    }
    case 'c':
      put(&o, (char)va_arg(ap, int));
      break;
    case '%':
      put(&o, '%');
      break;
    case 0:
      fmt--;
      break;
    default:
      put(&o, '%');
      put(&o, *fmt);
    }
  }
  if (size) buf[o.len < size ? o.len : size - 1] = 0;
  return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

int printf(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  serial_puts(buf);
  return n;
}
