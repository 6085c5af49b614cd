import assert from "node:assert/strict";
import { ExitBus } from "./exit_bus.ts";
import { PluginConflictError } from "./plugin.ts";
import type { CpuidExit, IoExit } from "./vmexit.ts";

function ioIn(port: number, level: 1 | 2 = 1): IoExit {
  return {
    kind: "io",
    level,
    instructionLength: 1,
    port,
    size: 1,
    direction: "in",
    value: 0,
    dxForm: true,
  };
}

Deno.test("bus: overlapping port claims name both plugins", () => {
  const bus = new ExitBus();
  bus.registerPorts("uart16550@0x3f8", 0x3f8, 8, { read: () => 0, write: () => {} });
  assert.throws(
    () => bus.registerPorts("other", 0x3fc, 2, { read: () => 0, write: () => {} }),
    (e: unknown) =>
      e instanceof PluginConflictError && /0x3fc/.test(e.message) &&
      /uart16550@0x3f8/.test(e.message) && /other/.test(e.message),
  );
});

Deno.test("bus: port reads reach the owner with a relative offset", () => {
  const bus = new ExitBus();
  const seen: number[] = [];
  bus.registerPorts("dev", 0x100, 4, {
    read: (off) => {
      seen.push(off);
      return 0x40 + off;
    },
    write: () => {},
  });
  const e = ioIn(0x102);
  assert.equal(bus.dispatch(e), "handled");
  assert.equal(e.value, 0x42);
  assert.deepEqual(seen, [2]);
  assert.equal(bus.dispatch(ioIn(0x200)), "pass");
});

Deno.test("bus: interceptors see level-2 exits before owners", () => {
  const bus = new ExitBus();
  const order: string[] = [];
  bus.registerPorts("uart", 0x3f8, 8, {
    read: () => {
      order.push("owner");
      return 0;
    },
    write: () => {},
  });
  bus.intercept("vmx", (e) => {
    order.push(`vmx L${e.level}`);
    return e.level === 2 && e.kind === "io" && e.port === 0x3f9 ? "reflected" : "pass";
  }, [2]);
  assert.equal(bus.dispatch(ioIn(0x3f8, 1)), "handled");
  assert.equal(bus.dispatch(ioIn(0x3f8, 2)), "handled");
  assert.equal(bus.dispatch(ioIn(0x3f9, 2)), "reflected");
  assert.deepEqual(order, ["owner", "vmx L2", "owner", "vmx L2"]);
});

Deno.test("bus: a throwing plugin becomes a fault naming the plugin and the exit", () => {
  const bus = new ExitBus();
  let stops = 0;
  bus.onStop = () => stops++;
  bus.on("bad", "cpuid", () => {
    throw new TypeError("boom");
  });
  const e: CpuidExit = {
    kind: "cpuid",
    level: 1,
    instructionLength: 2,
    leaf: 1,
    subleaf: 0,
    eax: 0,
    ebx: 0,
    ecx: 0,
    edx: 0,
  };
  assert.equal(bus.dispatch(e), "reflected");
  assert.equal(stops, 1);
  assert.equal(bus.fault?.plugin, "bad");
  assert.match(bus.fault?.exit ?? "", /cpuid leaf 0x1/);
});

Deno.test("bus: strict mode turns a passed exit into an unhandled exit", () => {
  const bus = new ExitBus();
  bus.strict = true;
  assert.equal(bus.dispatch(ioIn(0x80)), "reflected");
  assert.equal(bus.unhandled?.kind, "io");
  bus.strict = false;
  assert.equal(bus.dispatch(ioIn(0x80)), "pass");
});

Deno.test("bus: rejects bad port ranges and counts exits", () => {
  const bus = new ExitBus();
  assert.throws(
    () => bus.registerPorts("x", 0xffff, 2, { read: () => 0, write: () => {} }),
    RangeError,
  );
  bus.dispatch(ioIn(1));
  bus.dispatch(ioIn(1, 2));
  bus.dispatch(ioIn(1, 2));
  assert.equal(bus.counts[1].get("io"), 1);
  assert.equal(bus.counts[2].get("io"), 2);
});

Deno.test("bus: observers see every exit first and cannot change its fate", () => {
  const bus = new ExitBus();
  const seen: string[] = [];
  bus.observe("count", (e) => seen.push(`${e.kind}@L${e.level}`));
  bus.intercept("vmx", () => "reflected", [2]);
  assert.equal(bus.dispatch(ioIn(0x80, 2)), "reflected");
  assert.equal(bus.dispatch(ioIn(0x80, 1)), "pass");
  assert.deepEqual(seen, ["io@L2", "io@L1"]);
});

Deno.test("bus: interceptors run in order before-nested-vmx, nested-vmx, after-nested-vmx", () => {
  const bus = new ExitBus();
  const seen: string[] = [];
  const mk = (tag: string, result: "pass" | "handled" = "pass") => () => {
    seen.push(tag);
    return result;
  };
  bus.intercept("late", mk("after-1"));
  bus.intercept("vmx", mk("vmx"), [1, 2], "nested-vmx");
  bus.intercept("late2", mk("after-2"), [1, 2], "after-nested-vmx");
  bus.intercept("early", mk("before"), [2], "before-nested-vmx");
  bus.dispatch({ kind: "hlt", level: 2, instructionLength: 1 });
  assert.deepEqual(seen, ["before", "vmx", "after-1", "after-2"]);
  seen.length = 0;
  bus.dispatch({ kind: "hlt", level: 1, instructionLength: 1 });
  assert.deepEqual(seen, ["vmx", "after-1", "after-2"], "the level-2-only interceptor is skipped");
  assert.throws(
    () => bus.intercept("x", mk("x"), [1], "sideways" as never),
    /unknown interceptor order "sideways"/,
  );
});

Deno.test("bus: a port range moves and is released; a move onto another owner is refused", () => {
  const bus = new ExitBus();
  const io = (value: number) => ({ read: () => value, write: () => {} });
  const a = bus.registerPorts("a", 0x100, 4, io(0xaa));
  bus.registerPorts("b", 0x200, 4, io(0xbb));
  a.move(0x300);
  assert.equal(a.base, 0x300);
  assert.equal(bus.portOwner(0x100), undefined);
  assert.equal(bus.portOwner(0x303), "a");
  assert.throws(() => a.move(0x202), /port 0x202 is claimed by both "b" and "a"/);
  assert.equal(bus.portOwner(0x300), "a", "a refused move leaves the range where it was");
  a.remove();
  assert.equal(bus.portOwner(0x300), undefined);
  bus.registerPorts("c", 0x300, 1, io(0xcc)); // free again
  assert.equal(bus.portOwner(0x300), "c");
});
