/**
 * The nestvm microkernel: the Machine and its run loop, the typed VM exits,
 * the plugin contract and bus, IRQ lines and the deterministic virtual clock.
 *
 * @module
 */

export * from "./vmexit.ts";
export * from "./vcpu.ts";
export * from "./vcpu_vmx.ts";
export * from "./vmx_capability_names.ts";
export * from "./fault.ts";
export * from "./plugin.ts";
export * from "./options_schema.ts";
export * from "./clock.ts";
export * from "./stall.ts";
export * from "./exit_bus.ts";
export * from "./irq.ts";
export * from "./services.ts";
export * from "./run_result.ts";
export * from "./machine.ts";
export * from "./power.ts";
export * from "./engine.ts";
export * from "./guest_memory.ts";
export * from "./mmio_owners.ts";
export * from "./smp_scheduler.ts";
export * from "./vcpu_scope.ts";
