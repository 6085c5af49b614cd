/**
 * The local APICs of a machine, one per vCPU (Intel SDM Vol. 3A chapter
 * 11), as one plugin: each vCPU's unit (`lapic_unit.ts`) is set up in that
 * vCPU's scoped context (`core/vcpu_scope.ts`), so its MSRs and its view of
 * the xAPIC page are the ones of the vCPU that accesses them; APIC id =
 * vCPU index.
 *
 * This file is the interconnect between them:
 * - IPIs from an ICR (SDM 11.6): fixed, lowest priority, NMI, INIT (level
 *   de-assert is a no-op), start-up; the self, all-including-self and
 *   all-excluding-self shorthands; physical and logical (flat and cluster
 *   in xAPIC, cluster in x2APIC) destinations. Delivery is immediate: the
 *   delivery-status bit always reads idle.
 * - Messages from the I/O APIC (and MSIs) through the {@link LOCAL_APIC}
 *   service, to every unit the destination names; lowest priority picks the
 *   unit with the lowest processor priority (ties: lowest APIC id; SDM
 *   11.6.2.4 leaves the choice to the implementation).
 * - The xAPIC page at a base: one MMIO registration, dispatched to the unit
 *   of the vCPU that accesses it (each vCPU sees its own APIC there).
 *
 * @module
 */

import type {
  IoHandler,
  MmioRegistration,
  Plugin,
  PluginContext,
  PluginState,
} from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import { vcpuScope } from "../core/vcpu_scope.ts";
import { type ApicMessage, LOCAL_APIC, type LocalApicBus } from "./interrupts.ts";
import {
  createLapicUnit,
  type LapicFabric,
  type LapicOptions,
  type LapicUnit,
  parseLapicOptions,
} from "./lapic_unit.ts";
import { expectState, type StringOptions, typedOptions } from "./options.ts";

export {
  APIC_DEFAULT_BASE,
  type LapicFabric,
  type LapicOptions,
  lapicOptionsSchema,
  type LapicUnit,
  MSR_APIC_BASE,
  MSR_TSC_DEADLINE,
  parseLapicOptions,
} from "./lapic_unit.ts";

/** The LAPIC plugin, with accessors used by tests and the debugger. */
export interface LapicPlugin extends Plugin {
  /** The boot vCPU's APIC mode: "disabled", "xapic" or "x2apic". */
  readonly mode: "disabled" | "xapic" | "x2apic";
  /** The boot vCPU's IA32_APIC_BASE value. */
  readonly apicBase: bigint;
  /** Every vCPU's unit, by vCPU index (empty before setup). */
  readonly units: readonly LapicUnit[];
}

/** Pick the targets of a message among `units` (SDM 11.6.2). */
function targets(
  units: readonly LapicUnit[],
  mode: number,
  dest: number,
  logical: boolean,
): LapicUnit[] {
  const hit = units.filter((u) => u.accepts(dest, logical));
  if (mode !== 1 || hit.length <= 1) return hit;
  // Lowest priority: the unit with the lowest processor-priority class.
  let best = hit[0];
  for (const u of hit) if ((u.priority() & 0xf0) < (best.priority() & 0xf0)) best = u;
  return [best];
}

/** One xAPIC page base shared by the units mapped there. */
interface PageAt {
  readonly registration: MmioRegistration;
  readonly owners: Map<number, IoHandler>;
}

/** Create the local APIC plugin (one unit per vCPU). */
export function createLapic(given: LapicOptions | StringOptions = {}): LapicPlugin {
  const options: LapicOptions = typedOptions(given, parseLapicOptions);
  const units: LapicUnit[] = [];
  const pages = new Map<number, PageAt>();

  const fabric: LapicFabric = {
    sendIpi(from: LapicUnit, lo: number, dest: number): void {
      const vector = lo & 0xff;
      const mode = (lo >> 8) & 7;
      const logical = (lo & 0x800) !== 0;
      const shorthand = (lo >> 18) & 3;
      // INIT level de-assert (level 0, trigger level): only synchronizes arbitration ids.
      if (mode === 5 && (lo & 0x4000) === 0 && (lo & 0x8000) !== 0) return;
      let to: LapicUnit[];
      switch (shorthand) {
        case 1:
          to = [from];
          break;
        case 2:
          to = units.filter((u) => u.enabled());
          break;
        case 3:
          to = units.filter((u) => u !== from && u.enabled());
          break;
        default:
          to = targets(units, mode, dest, logical);
      }
      if (mode === 1 && shorthand !== 0 && to.length > 1) to = targets(to, 1, 0xffffffff, false);
      for (const u of to) u.deliver(mode, vector, false);
    },
  };

  const bus: LocalApicBus = {
    deliver(m: ApicMessage): boolean {
      const to = targets(units, m.deliveryMode, m.destination, m.logical);
      for (const u of to) u.deliver(m.deliveryMode, m.vector, m.levelTriggered);
      return to.length > 0;
    },
    deliverToId(apicId: number, mode: number, vector: number, level: boolean): boolean {
      for (const u of units) {
        if (u.enabled() && u.physicalId() === apicId >>> 0) return u.deliver(mode, vector, level);
      }
      return false;
    },
  };

  /** The MMIO space a unit sees: its page joins the one registration at that base. */
  function mmioFor(c: PluginContext, index: number): PluginContext["mmio"] {
    const space: PluginContext["mmio"] = {
      register(base: number, size: number, handler: IoHandler): MmioRegistration {
        let page = pages.get(base);
        if (page === undefined) {
          const owners = new Map<number, IoHandler>();
          const registration = c.mmio.register(base, size, {
            // A vCPU whose APIC is elsewhere (or disabled) finds nothing here.
            read: (offset, sz) => owners.get(c.currentVcpu())?.read(offset, sz) ?? 0xffffffff,
            write: (offset, sz, value) => owners.get(c.currentVcpu())?.write(offset, sz, value),
          });
          page = { registration, owners };
          pages.set(base, page);
        }
        page.owners.set(index, handler);
        let at = base;
        const remove = (): void => {
          const p = pages.get(at);
          if (p === undefined) return;
          p.owners.delete(index);
          if (p.owners.size === 0) {
            p.registration.remove();
            pages.delete(at);
          }
        };
        return {
          move: (newBase: number): void => {
            remove();
            space.register(newBase, size, handler);
            at = newBase;
          },
          remove,
        };
      },
    };
    return space;
  }

  const plugin: LapicPlugin = {
    name: "lapic",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      c.services.provide(LOCAL_APIC, bus);
      for (let i = 0; i < c.vcpus.length; i++) {
        const scoped = vcpuScope(c, i);
        const unit = createLapicUnit(options, i, fabric);
        units.push(unit);
        unit.setup({ ...scoped, mmio: mmioFor(c, i) });
      }
    },
    reset(): void {
      for (const u of units) u.reset();
    },
    saveState(): PluginState {
      // One vCPU: the unit's data as before (snapshots of one-vCPU machines keep their layout).
      const data = units.length === 1 ? units[0].save() : { units: units.map((u) => u.save()) };
      return { version: 1, data };
    },
    loadState(state: PluginState): void {
      const d = expectState("lapic", state, 1);
      if (units.length === 1) {
        units[0].load(d);
        return;
      }
      const list = Array.isArray(d.units) ? d.units : [];
      if (list.length !== units.length) {
        throw new Error(
          `lapic: the snapshot has ${list.length} local APICs, this machine ${units.length}`,
        );
      }
      units.forEach((u, i) => u.load(expectState("lapic", { version: 1, data: list[i] }, 1)));
    },
    dispose(): void {
      for (const u of units) u.dispose();
      units.length = 0;
    },
    get mode(): "disabled" | "xapic" | "x2apic" {
      return units[0]?.mode ?? "disabled";
    },
    get apicBase(): bigint {
      return units[0]?.apicBase ?? 0n;
    },
    get units(): readonly LapicUnit[] {
      return units;
    },
  };
  return plugin;
}
