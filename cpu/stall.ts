/**
 * Stalls: instructions whose virtual-time cost is more than the 1 ns that
 * every retired instruction costs (see `core/clock.ts`). The cost is a
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
