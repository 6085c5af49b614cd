import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { GdbSession, type StopCause } from "./session.ts";
import { DebugTraps } from "./traps.ts";
import { CODE, loopMachine } from "./testing.ts";
import { registerIndex, REGISTERS } from "./registers.ts";
import { targetXml } from "./target_xml.ts";
import { fromHex } from "./packet.ts";

const STOP: StopCause = { kind: "initial" };

function setup() {
  const m = loopMachine();
  const traps = new DebugTraps(m.cpu, () => m.breakRun());
  traps.attach();
  return { m, traps, s: new GdbSession(m.cpu, m.memory, traps) };
}

const reply = (s: GdbSession, packet: string) => s.handle(packet, STOP).replies.join("|");

Deno.test("session: qSupported, thread queries and the stop reply with the level", () => {
  const { m, s } = setup();
  match(reply(s, "qSupported:multiprocess+;swbreak+"), /qXfer:features:read\+/);
  equal(reply(s, "qfThreadInfo"), "mp1.1");
  equal(reply(s, "?"), "T05thread:p1.1;nestvm-level:1;");
  equal(reply(s, "vCont?"), "vCont;c;C;s;S;t");
  deepStrictEqual(s.handle("vCont;s:p1.1;c:p1.-1", STOP).action, { kind: "step" });
  deepStrictEqual(s.handle("vCont;c:p1.-1", STOP).action, { kind: "continue" });
  // A client without multiprocess support gets plain thread ids.
  reply(s, "qSupported:swbreak+");
  equal(reply(s, "qC"), "QC1");
  equal(reply(s, "?"), "T05thread:1;nestvm-level:1;");
  deepStrictEqual(s.handle("vCont;s:1", STOP).action, { kind: "step" });
  m.dispose();
});

Deno.test("session: target.xml read in chunks reassembles to the description", () => {
  const { m, s } = setup();
  let doc = "";
  for (let off = 0;; off += 0x200) {
    const r = reply(s, `qXfer:features:read:target.xml:${off.toString(16)},200`);
    doc += r.slice(1);
    if (r[0] === "l") break;
    equal(r[0], "m");
  }
  equal(doc, targetXml());
  equal([...doc.matchAll(/<reg /g)].length, REGISTERS.length);
  m.dispose();
});

Deno.test("session: registers read and write (p/P/g) in the description's order", () => {
  const { m, s } = setup();
  const rip = registerIndex("rip");
  equal(reply(s, `p${rip.toString(16)}`), "0000010000000000");
  equal(reply(s, `P${rip.toString(16)}=0700010000000000`), "OK");
  equal(m.cpu.rip, CODE + 7);
  equal(reply(s, `P0=8877665544332211`), "OK"); // rax
  equal(m.cpu.getGpr64(0), 0x1122334455667788n);
  const g = reply(s, "g");
  equal(g.length, REGISTERS.reduce((n, r) => n + r.bits / 4, 0));
  equal(g.slice(0, 16), "8877665544332211");
  equal(reply(s, `P${registerIndex("cs").toString(16)}=10000000`), "E02"); // selectors are read-only
  m.dispose();
});

Deno.test("session: memory read/write through the stub; errors for unmapped memory", () => {
  const { m, s } = setup();
  equal(reply(s, "m10000,4"), "4040a300");
  equal(reply(s, "M20000,4:efbeadde"), "OK");
  equal(m.memory.read32(0x20000), 0xdeadbeef);
  equal(reply(s, "mfffffffffff000,4"), "E14"); // beyond RAM
  equal(reply(s, "m100000000,4"), "E14"); // beyond 4 GiB without long-mode paging
  equal(reply(s, "mffffffff80000000,4"), "E14"); // a negative (canonical 64-bit) address
  m.dispose();
});

Deno.test("session: Z/z packets manage breakpoints and watchpoints; monitor level", () => {
  const { m, s, traps } = setup();
  equal(reply(s, "Z0,10007,1"), "OK");
  ok(traps.breakpoints.has(0x10007));
  equal(reply(s, "Z1,10007,1"), "OK"); // a hardware one at the same address
  equal(reply(s, "z0,10007,1"), "OK");
  ok(traps.breakpoints.has(0x10007), "the hardware breakpoint stays");
  equal(traps.isSoftware(0x10007), false);
  equal(reply(s, "z1,10007,1"), "OK");
  equal(traps.breakpoints.size, 0);
  equal(reply(s, "Z2,20000,4"), "OK");
  deepStrictEqual(traps.watchpoints, [{ addr: 0x20000, len: 4, kind: "write" }]);
  equal(reply(s, "z2,20000,4"), "OK");
  equal(traps.watchpoints.length, 0);
  const out = s.handle(
    "qRcmd," + [..."level l2"].map((c) => c.charCodeAt(0).toString(16)).join(""),
    STOP,
  );
  equal(out.replies[1], "OK");
  match(fromHex(out.replies[0].slice(1))!, /level set to l2/);
  equal(traps.level, "l2");
  m.dispose();
});

Deno.test("session: malformed packets get error or empty replies, never an exception", () => {
  const { m, s } = setup();
  const cases: [string, string][] = [
    ["pzz", "E45"],
    ["p999", "E45"],
    ["P0=12", "E01"],
    ["Pnothing", "E01"],
    ["G0", "E01"],
    ["m", "E01"],
    ["mzz,4", "E01"],
    ["M10000,4:zz", "E01"],
    ["M10000,2:414243", "E01"],
    ["Z9,1000,1", "E01"],
    ["Z0,", "E01"],
    ["qXfer:features:read:other.xml:0,10", "E00"],
    ["qXfer:features:read:target.xml:zz", "E00"],
    ["vCont;x", "E01"],
    ["vUnknown", ""],
    ["!", ""],
    ["", ""],
  ];
  for (const [packet, expected] of cases) equal(reply(s, packet), expected, packet);
  m.dispose();
});
