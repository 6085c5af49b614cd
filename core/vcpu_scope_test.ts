import assert from "node:assert/strict";
import { vcpuScope } from "./vcpu_scope.ts";
import type { ExitHandler, PluginContext } from "./plugin.ts";
import type { Vcpu } from "./vcpu.ts";
import type { VmExit } from "./vmexit.ts";

function context(n: number) {
  const handlers: ExitHandler[] = [];
  const intercepts: { levels: unknown; order: unknown }[] = [];
  const current = { i: 0 };
  const vcpus = Array.from({ length: n }, (_, i) => ({ id: i }) as unknown as Vcpu);
  const ctx = {
    vcpu: vcpus[0],
    vcpus,
    currentVcpu: () => current.i,
    exits: {
      on: (_kind: string, h: ExitHandler) => void handlers.push(h),
      intercept: (h: ExitHandler, levels?: unknown, order?: unknown) => {
        handlers.push(h);
        intercepts.push({ levels, order });
      },
      observe: (o: (e: VmExit) => void) =>
        void handlers.push((e) => {
          o(e);
          return "pass";
        }),
      watchExceptions: () => {},
    },
  } as unknown as PluginContext;
  return { ctx, handlers, intercepts, current, vcpus };
}

Deno.test("vcpu scope: one vCPU's context sees only that vCPU's exits", () => {
  const t = context(3);
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = vcpuScope(t.ctx, i);
    assert.equal(s.vcpu, t.vcpus[i]);
    s.exits.on("cpuid", () => {
      seen.push(i);
      return "handled";
    });
  }
  const exit = { kind: "cpuid" } as VmExit;
  for (const cur of [2, 0, 1]) {
    t.current.i = cur;
    const d = t.handlers.map((h) => h(exit));
    assert.deepEqual(d.filter((x) => x === "handled").length, 1);
  }
  assert.deepEqual(seen, [2, 0, 1]);
  assert.throws(() => vcpuScope(t.ctx, 3), /vCPU 3 does not exist/);
});

Deno.test("vcpu scope: on one vCPU the scope is the context itself (no wrapper on the exit path)", () => {
  const t = context(1);
  assert.equal(vcpuScope(t.ctx, 0), t.ctx);
});

Deno.test("vcpu scope: an interceptor keeps the levels and order it was registered with", () => {
  const t = context(2);
  vcpuScope(t.ctx, 1).exits.intercept(() => "handled", [2], "before-nested-vmx");
  assert.deepEqual(t.intercepts, [{ levels: [2], order: "before-nested-vmx" }]);
  t.current.i = 0;
  assert.equal(t.handlers[0]({ kind: "cpuid" } as VmExit), "pass");
  t.current.i = 1;
  assert.equal(t.handlers[0]({ kind: "cpuid" } as VmExit), "handled");
});
