/*
 * kvm-client: a minimal KVM user (written for nestvm's Linux guest).
 *
 * Creates a VM with one memory slot and one vCPU, places a tiny real-mode
 * program (L2) in it that writes a message to port 0xE9 one byte at a time
 * and halts, then calls KVM_RUN until the L2 halts, printing every exit.
 * Exit status 0 when the L2's message arrived complete and it halted.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE 0x10000
#define CODE_AT 0x1000
#define MSG_AT 0x1010
#define PORT 0xe9
#define MAX_EXITS 256

static const char message[] = "Hello from L2";

/*
 * 16-bit real-mode code at 0x1000:
 *   mov dx, 0xe9 ; mov si, 0x1010
 * next: lodsb ; test al, al ; jz done ; out dx, al ; jmp next
 * done: hlt
 */
static const uint8_t code[] = {
    0xba, PORT, 0x00,             /* mov dx, PORT */
    0xbe, MSG_AT & 0xff, MSG_AT >> 8, /* mov si, MSG_AT */
    0xac,                         /* lodsb */
    0x84, 0xc0,                   /* test al, al */
    0x74, 0x03,                   /* jz done */
    0xee,                         /* out dx, al */
    0xeb, 0xf8,                   /* jmp next */
    0xf4,                         /* done: hlt */
};

static const char *exit_name(uint32_t reason) {
  switch (reason) {
  case KVM_EXIT_IO: return "IO";
  case KVM_EXIT_HLT: return "HLT";
  case KVM_EXIT_MMIO: return "MMIO";
  case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
  case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
  case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
  case KVM_EXIT_INTR: return "INTR";
  default: return "other";
  }
}

static int fail(const char *what) {
  printf("[kvm-client] %s failed: %s\n", what, strerror(errno));
  return 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) return fail("open /dev/kvm");
  int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
  printf("[kvm-client] KVM API version %d\n", api);
  if (api != KVM_API_VERSION) return fail("KVM_GET_API_VERSION");
  int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  if (vm < 0) return fail("KVM_CREATE_VM");
  /* Three pages below 4 GiB for the TSS KVM needs to run real mode without
   * unrestricted guest (the address QEMU uses). */
  if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0) return fail("KVM_SET_TSS_ADDR");

  uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return fail("mmap guest memory");
  memcpy(mem + CODE_AT, code, sizeof code);
  memcpy(mem + MSG_AT, message, sizeof message);
  struct kvm_userspace_memory_region region = {
      .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE, .userspace_addr = (uint64_t)mem};
  if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return fail("KVM_SET_USER_MEMORY_REGION");

  int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
  if (vcpu < 0) return fail("KVM_CREATE_VCPU");
  int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size <= 0) return fail("KVM_GET_VCPU_MMAP_SIZE");
  struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  if (run == MAP_FAILED) return fail("mmap kvm_run");

  struct kvm_sregs sregs;
  if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return fail("KVM_GET_SREGS");
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  sregs.ds.base = 0;
  sregs.ds.selector = 0;
  if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return fail("KVM_SET_SREGS");
  struct kvm_regs regs = {.rip = CODE_AT, .rflags = 0x2};
  if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) return fail("KVM_SET_REGS");
  printf("[kvm-client] VM created: 1 vCPU, %d KiB at GPA 0, L2 entry 0000:%04x (real mode)\n",
         MEM_SIZE / 1024, CODE_AT);

  char got[64];
  size_t n = 0;
  for (int i = 1; i <= MAX_EXITS; i++) {
    if (ioctl(vcpu, KVM_RUN, 0) < 0) {
      if (errno == EINTR) continue;
      return fail("KVM_RUN");
    }
    uint32_t r = run->exit_reason;
    if (r == KVM_EXIT_IO) {
      uint8_t *data = (uint8_t *)run + run->io.data_offset;
      printf("[kvm-client] exit %d: IO %s port 0x%x size %d value 0x%02x '%c'\n", i,
             run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.port, run->io.size,
             data[0], data[0] >= 0x20 && data[0] < 0x7f ? data[0] : '.');
      if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == PORT && n < sizeof got - 1)
        got[n++] = (char)data[0];
      continue;
    }
    printf("[kvm-client] exit %d: %s (reason %u)\n", i, exit_name(r), r);
    if (r == KVM_EXIT_FAIL_ENTRY)
      printf("[kvm-client] hardware entry failure reason 0x%llx\n",
             (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
    if (r == KVM_EXIT_INTERNAL_ERROR) printf("[kvm-client] suberror %u\n", run->internal.suberror);
    if (r != KVM_EXIT_HLT) return 1;
    got[n] = 0;
    if (ioctl(vcpu, KVM_GET_REGS, &regs) == 0)
      printf("[kvm-client] L2 halted at rip 0x%llx\n", (unsigned long long)regs.rip);
    printf("[kvm-client] L2 said: \"%s\"\n", got);
    return strcmp(got, message) == 0 ? 0 : 1;
  }
  printf("[kvm-client] no HLT after %d exits\n", MAX_EXITS);
  return 1;
}
