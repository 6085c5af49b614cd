/*
 * /init of nestvm's Linux test initramfs: mounts /proc, /sys and /dev,
 * reports each stage on the console, loads kvm (irqbypass, kvm, kvm-intel)
 * with finit_module, runs /kvm-client, and powers the machine off. With
 * "init.s3" on the kernel command line it first suspends to RAM (ACPI S3)
 * with an RTC wake alarm 2 s ahead; with "init.shell" it starts busybox sh
 * instead of powering off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void stage(const char *fmt, const char *arg) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  printf("[init %5ld.%03ld] ", (long)ts.tv_sec, ts.tv_nsec / 1000000);
  printf(fmt, arg);
  printf("\n");
}

static int file_contains(const char *path, const char *needle) {
  static char buf[65536];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n, total = 0;
  while ((n = read(fd, buf + total, sizeof buf - 1 - total)) > 0) total += n;
  close(fd);
  buf[total] = 0;
  return strstr(buf, needle) != NULL;
}

static int load_module(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    stage("module %s: cannot open", path);
    return -1;
  }
  long r = syscall(SYS_finit_module, fd, "", 0);
  int err = errno;
  close(fd);
  if (r == 0 || err == EEXIST) {
    stage("module %s: loaded", path);
    return 0;
  }
  printf("[init] module %s: finit_module failed: %s\n", path, strerror(err));
  return -1;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Suspend to RAM, woken by the RTC alarm; 0 when the kernel came back from it. */
static int suspend_to_ram(void) {
  if (write_file("/sys/class/rtc/rtc0/wakealarm", "+2") != 0) {
    printf("[init] wakealarm: %s\n", strerror(errno));
    return -1;
  }
  if (write_file("/sys/power/state", "mem") != 0) {
    printf("[init] /sys/power/state: %s\n", strerror(errno));
    return -1;
  }
  return 0;
}

static int run(const char *path) {
  pid_t pid = fork();
  if (pid == 0) {
    execl(path, path, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  mount("proc", "/proc", "proc", 0, NULL);
  mount("sysfs", "/sys", "sysfs", 0, NULL);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  struct utsname u;
  uname(&u);
  stage("userspace reached: Linux %s", u.release);
  int vmx = file_contains("/proc/cpuinfo", " vmx");
  stage("vmx in /proc/cpuinfo: %s", vmx > 0 ? "yes" : "no");
  int ok = load_module("/lib/modules/irqbypass.ko") == 0 &&
           load_module("/lib/modules/kvm.ko") == 0 &&
           load_module("/lib/modules/kvm-intel.ko") == 0;
  stage("kvm_intel loaded: %s", ok ? "yes" : "no");
  if (access("/dev/kvm", F_OK) == 0) {
    stage("%s present; running the KVM client", "/dev/kvm");
    int status = run("/kvm-client");
    char s[16];
    snprintf(s, sizeof s, "%d", status);
    stage("kvm-client exit status %s", s);
  } else {
    stage("%s absent; no KVM client run", "/dev/kvm");
  }
  if (file_contains("/proc/cmdline", "init.s3") > 0) {
    stage("suspending to RAM (%s)", "RTC wake alarm in 2 s");
    int r = suspend_to_ram();
    stage("back from suspend to RAM: %s", r == 0 ? "yes" : "no");
  }
  if (file_contains("/proc/cmdline", "init.shell") > 0) {
    stage("%s", "starting busybox sh");
    execl("/bin/busybox", "sh", (char *)NULL);
  }
  stage("%s", "powering off");
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
