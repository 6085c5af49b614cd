/**
 * Example third-party plugin: a port-mapped random-number device.
 *
 * Written only against nestvm's public API, as the template plugin authors
 * copy. The guest reads 32-bit pseudo-random numbers from `port` (default
 * 0x5ec); writing a 32-bit value to `port` reseeds the generator; reading
 * `port + 4` returns how many numbers were drawn. The generator is a
 * deterministic xorshift32, so runs are reproducible, and its state is saved
 * in snapshots.
 *
 * Load it from the CLI:
 * `deno run -A cli.ts --kernel k.elf --plugin ./plugins/examples/rng_device.ts,port=0x5ec,seed=42`
 *
 * @module
 */

import type { DeviceType, OptionsOf, Plugin, PluginContext, PluginState } from "../../mod.ts";

/**
 * The options this plugin takes. Exported, so the loader checks and types
 * `--plugin rng_device.ts,port=0x5ec,seed=42` before calling the factory
 * (a misspelled key is an error) and `--plugin rng_device.ts,help` lists them.
 */
export const optionsSchema = {
  port: {
    type: "int",
    default: 0x5ec,
    min: 0,
    max: 0xfff8,
    doc: "first of the two 32-bit ports",
  },
  seed: {
    type: "int",
    default: 0x2545f491,
    min: 1,
    max: 0xffffffff,
    doc: "initial xorshift32 seed",
  },
} as const;

/** Options of the rng device (all optional from the API). */
export type RngOptions = Partial<OptionsOf<typeof optionsSchema>>;

/** The rng plugin, with a method the host can call to peek at the count. */
export interface RngPlugin extends Plugin {
  /** Numbers drawn by the guest so far. */
  readonly drawn: number;
}

/** Create the device (the loader passes options already parsed by {@link optionsSchema}). */
export default function createRng(options: RngOptions = {}): RngPlugin {
  const port = options.port ?? optionsSchema.port.default;
  const seed0 = options.seed ?? optionsSchema.seed.default;
  let state = seed0 >>> 0 || 1;
  let drawn = 0;

  const next = (): number => {
    // xorshift32 (Marsaglia 2003)
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    drawn++;
    return state;
  };

  return {
    name: `rng@0x${port.toString(16)}`,
    version: "1.0.0",
    apiVersion: 1,
    get drawn() {
      return drawn;
    },
    setup(ctx: PluginContext): void {
      ctx.ports.register(port, 8, {
        read(offset, size) {
          const value = offset < 4 ? next() : drawn;
          const shift = (offset & 3) * 8;
          const mask = size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
          return (value >>> shift) & mask;
        },
        write(offset, _size, value) {
          if (offset === 0) state = value >>> 0 || 1;
        },
      });
      ctx.log.debug(`rng at port 0x${port.toString(16)}, seed ${seed0}`);
    },
    reset(): void {
      state = seed0 >>> 0 || 1;
      drawn = 0;
    },
    saveState(): PluginState {
      return { version: 1, data: { state, drawn } };
    },
    loadState(saved: PluginState): void {
      if (saved.version !== 1) throw new Error(`rng: unsupported state version ${saved.version}`);
      const d = saved.data as { state: number; drawn: number };
      state = d.state >>> 0;
      drawn = d.drawn;
    },
  };
}

/**
 * The rng as a device type: with this module loaded (`--plugin
 * rng_device.ts`), `--device rng,port=0x700,seed=3` adds more instances.
 */
export const deviceTypes: DeviceType[] = [{
  name: "rng",
  summary: "xorshift32 random numbers on two 32-bit ports",
  schema: optionsSchema,
  create: (options: RngOptions) => createRng(options),
}];
