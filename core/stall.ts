/**
 * Stalls: instructions whose virtual-time cost is more than the 1 ns that
 * every retired instruction costs (see `core/clock.ts`): cache flushes,
 * PAUSE, serializing instructions (CPUID, IRET, WRMSR, MOV to CRn...) and
 * port I/O. The cost is a
 * fixed figure per instruction, never measured on the host, so runs stay
 * deterministic; the vCPU charges it through `CpuOptions.stall` when the
 * instruction completes (not when it causes a VM exit instead), and the
 * machine adds it to the time that retires no instruction.
 *
 * @module
 */

/**
 * Virtual ns charged by WBINVD and INVD: a walk of the whole cache
 * hierarchy. The SDM (Vol. 2, WBINVD)
 * says the time varies with the size and levels of the caches and that the
 * instruction can delay interrupt response; on real processors a flush of
 * clean caches a few MiB in size takes tens of microseconds, dirty lines
 * and larger last-level caches up to milliseconds. 20 µs is the order of
 * the clean case, which is what a loop of repeated flushes sees. The model
 * has no caches, so INVD (no write-back) costs the same walk.
 */
export const CACHE_FLUSH_NS = 20_000;

/**
 * Virtual ns charged by PAUSE: the spin-wait hint that delays the next
 * instruction. Intel's optimization reference manual gives its latency as
 * about 10 cycles before the Skylake microarchitecture and up to 140 cycles
 * from Skylake on; at the 1 GHz virtual TSC that is 140 ns. Spin loops that
 * wait for a TSC deadline (`do pause while (rdtsc() < end)`) then take a
 * few instructions per 140 ns, as on hardware, not 140 instructions.
 */
export const PAUSE_NS = 140;

/**
 * Virtual ns charged by a serializing instruction (SDM Vol. 3A 10.3,
 * "Serializing Instructions"): CPUID, IRET, MOV to CR0, CR3 or CR4, MOV to
 * a debug register, LGDT, LIDT, LLDT, LTR, INVLPG, WRMSR (but not to
 * IA32_TSC_DEADLINE or the x2APIC MSRs 0x802-0x83F, which the SDM exempts),
 * and INVEPT/INVVPID (charged by the VMX plugin). A serializing instruction
 * waits until every earlier instruction has completed and the pipeline has
 * drained before the next one starts; CPUID's microcode also computes the
 * leaf, and a control-register write may invalidate translations the walks
 * must rebuild. Published measurements of CPUID on Intel and AMD processors
 * run from about 100 cycles to several hundred depending on the model and
 * leaf; 100 ns at the 1 GHz virtual TSC is the low end, and one figure
 * serves them all. Charged when the instruction completes (in L2 an
 * instruction that is a VM exit is charged as one instead; a fault charges
 * nothing). INVD and WBINVD, also serializing, cost {@link CACHE_FLUSH_NS}
 * instead; RSM and SERIALIZE are not implemented (#UD).
 */
export const SERIALIZING_NS = 100;

/**
 * Virtual ns charged by each port access (IN, OUT, and each element of
 * INS/OUTS): an I/O bus cycle to a chipset or LPC device. On PCs one takes
 * about a microsecond, which is why a write to the unused port 0x80 is the
 * classic I/O delay (Linux's `outb_p`, "about one microsecond"). Charged
 * when nestvm completes the access (an access L1 intercepts is a VM exit
 * instead, charged as one), whoever owns the port or none.
 */
export const PORT_IO_NS = 1000;
