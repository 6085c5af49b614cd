#!/usr/bin/env python3
"""Run a nestvm guest image under Linux KVM (developer cross-check, not part of the tests).

Usage: python3 guests/src/tools/kvm_run.py IMAGE [CMDLINE]

Loads IMAGE with nestvm's Multiboot loader (kvm_prep.ts), then runs it on
/dev/kvm with an in-kernel PIC, PIT and LAPIC. COM1 output goes to stdout
(LSR always reports an empty transmitter), a write to port 0xf4 ends the
run with exit code (value << 1) | 1 like isa-debug-exit. 64 MiB of RAM plus
2 MiB at 0x40000000 (the CPU guests' page-fault test address).
Needs read/write access to /dev/kvm; VMX guests need an Intel host with
nested VMX. Some hosts' KVM emulate INT3 and SYSCALL/SYSRET differently
(emulation failures, wrong STAR use); those checks are only meaningful in
nestvm.
"""
import ctypes, fcntl, json, mmap, os, struct, subprocess, sys, tempfile

KVM_CREATE_VM = 0xAE01
KVM_GET_VCPU_MMAP_SIZE = 0xAE04
KVM_CREATE_VCPU = 0xAE41
KVM_SET_USER_MEMORY_REGION = 0x4020AE46
KVM_RUN = 0xAE80
KVM_GET_REGS = 0x8090AE81
KVM_SET_REGS = 0x4090AE82
KVM_GET_SREGS = 0x8138AE83
KVM_SET_SREGS = 0x4138AE84
KVM_CREATE_IRQCHIP = 0xAE60
KVM_CREATE_PIT2 = 0x4040AE77
KVM_GET_SUPPORTED_CPUID = 0xC008AE05
KVM_SET_CPUID2 = 0x4008AE90


def main():
    img = sys.argv[1]
    cmdline = sys.argv[2] if len(sys.argv) > 2 else ""
    tmp = tempfile.mkdtemp(prefix="nestvm-kvm-")
    prep = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kvm_prep.ts")
    subprocess.check_call(["deno", "run", "-A", prep, img, tmp + "/mem.bin", tmp + "/state.json", cmdline])
    st = json.load(open(tmp + "/state.json"))
    memimg = open(tmp + "/mem.bin", "rb").read()

    kvm = os.open("/dev/kvm", os.O_RDWR)
    vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
    mem = mmap.mmap(-1, len(memimg), mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, mmap.PROT_READ | mmap.PROT_WRITE)
    mem[:] = memimg
    addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
    fcntl.ioctl(vm, KVM_SET_USER_MEMORY_REGION, struct.pack("IIQQQ", 0, 0, 0, len(memimg), addr))
    mem2 = mmap.mmap(-1, 2 << 20, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, mmap.PROT_READ | mmap.PROT_WRITE)
    addr2 = ctypes.addressof(ctypes.c_char.from_buffer(mem2))
    fcntl.ioctl(vm, KVM_SET_USER_MEMORY_REGION, struct.pack("IIQQQ", 1, 0, 0x40000000, 2 << 20, addr2))
    fcntl.ioctl(vm, KVM_CREATE_IRQCHIP, 0)
    fcntl.ioctl(vm, KVM_CREATE_PIT2, bytes(64))
    vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
    n = 100
    buf = bytearray(struct.pack("II", n, 0) + bytes(40 * n))
    fcntl.ioctl(kvm, KVM_GET_SUPPORTED_CPUID, buf)
    nent = struct.unpack_from("I", buf)[0]
    fcntl.ioctl(vcpu, KVM_SET_CPUID2, bytearray(buf[:8 + 40 * nent]))
    run = mmap.mmap(vcpu, fcntl.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), mmap.MAP_SHARED,
                    mmap.PROT_READ | mmap.PROT_WRITE)

    sregs = bytearray(312)
    fcntl.ioctl(vcpu, KVM_GET_SREGS, sregs)
    # kvm_sregs order: cs ds es fs gs ss tr ldt; ours (VMX order): es cs ss ds fs gs ldtr tr
    for k, vi in enumerate([1, 3, 0, 4, 5, 2, 7, 6]):
        s = st["segs"][vi]
        a = s["attrs"]
        struct.pack_into("QIHBBBBBBBBBB", sregs, 24 * k, s["base"], s["limit"], s["selector"],
                         a & 15, (a >> 7) & 1, (a >> 5) & 3, (a >> 14) & 1, (a >> 4) & 1, (a >> 13) & 1,
                         (a >> 15) & 1, (a >> 12) & 1, (a >> 16) & 1, 0)
    struct.pack_into("QH", sregs, 192, st["gdtr"]["base"], st["gdtr"]["limit"])
    struct.pack_into("QH", sregs, 208, st["idtr"]["base"], st["idtr"]["limit"])
    apic_base = struct.unpack_from("Q", sregs, 272)[0]
    struct.pack_into("QQQQQQQ", sregs, 224, st["cr0"], 0, st["cr3"], st["cr4"], 0, st["efer"], apic_base)
    fcntl.ioctl(vcpu, KVM_SET_SREGS, bytes(sregs))
    g = st["gprs"]
    fcntl.ioctl(vcpu, KVM_SET_REGS, struct.pack("18Q", g[0], g[3], g[1], g[2], g[6], g[7], g[4], g[5],
                                                *g[8:16], st["rip"], st["rflags"]))

    out = sys.stdout.buffer
    lcr = 0

    def rip():
        r = bytearray(144)
        fcntl.ioctl(vcpu, KVM_GET_REGS, r)
        return struct.unpack_from("Q", r, 128)[0]

    while True:
        fcntl.ioctl(vcpu, KVM_RUN, 0)
        reason = struct.unpack_from("I", run, 8)[0]
        if reason == 2:  # KVM_EXIT_IO
            d, sz, port, _cnt, off = struct.unpack_from("BBHIQ", run, 32)
            if d == 1:
                val = int.from_bytes(run[off:off + sz], "little")
                if port == 0x3f8 and not (lcr & 0x80):
                    out.write(bytes([val & 0xff]))
                    out.flush()
                elif port == 0x3fb:
                    lcr = val
                elif port == 0xf4:
                    print(f"[kvm] debug-exit status {val} -> exit code {(val << 1) | 1}")
                    sys.exit((val << 1) | 1)
            else:
                v = 0x60 if port == 0x3fd else 0x01 if port == 0x3fa else 0
                run[off:off + sz] = v.to_bytes(sz, "little")
        elif reason == 5:
            print("[kvm] HLT with interrupts off")
            sys.exit(100)
        elif reason == 8:
            print("[kvm] shutdown (triple fault) at rip 0x%x" % rip())
            sys.exit(101)
        else:
            print("[kvm] exit reason %d at rip 0x%x" % (reason, rip()))
            sys.exit(102)


if __name__ == "__main__":
    main()
