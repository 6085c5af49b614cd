import { equal, match, ok } from "node:assert/strict";
import { runWithGdb } from "./server.ts";
import { framePacket, PacketReader } from "./packet.ts";
import { CODE, loopMachine } from "./testing.ts";

/** A tiny protocol client: send packets, collect replies (O packets kept). */
class Client {
  readonly #conn: Deno.Conn;
  readonly #reader = new PacketReader();
  readonly #packets: string[] = [];

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async send(payload: string): Promise<void> {
    await this.#conn.write(new TextEncoder().encode(framePacket(payload)));
  }

  async interrupt(): Promise<void> {
    await this.#conn.write(new Uint8Array([3]));
  }

  /** The next non-console packet. */
  async reply(): Promise<string> {
    const buf = new Uint8Array(4096);
    for (;;) {
      const i = this.#packets.findIndex((p) => !p.startsWith("O") || p === "OK");
      if (i >= 0) return this.#packets.splice(i, 1)[0];
      const n = await this.#conn.read(buf);
      if (n === null) throw new Error("connection closed");
      for (const e of this.#reader.feed(buf.subarray(0, n))) {
        if (e.kind === "packet") this.#packets.push(e.data);
      }
    }
  }

  close(): void {
    this.#conn.close();
  }
}

async function start(startStopped: boolean) {
  const m = loopMachine();
  let port!: (p: number) => void;
  const bound = new Promise<number>((r) => port = r);
  const done = runWithGdb(m, {
    port: 0,
    startStopped,
    sliceInstructions: 5000,
    onListening: (_h, p) => port(p),
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: await bound });
  return { m, done, client: new Client(conn) };
}

Deno.test("server: -S waits stopped; continue runs in slices until Ctrl-C; kill ends", async () => {
  const { m, done, client } = await start(true);
  await client.send("?");
  equal(await client.reply(), "T05thread:p1.1;nestvm-level:1;");
  equal(m.retired, 0);
  await client.send("vCont;c:p1.-1");
  await new Promise((r) => setTimeout(r, 50));
  await client.interrupt();
  equal(await client.reply(), "T02thread:p1.1;nestvm-level:1;");
  const ran = m.retired;
  ok(ran > 5000, `ran ${ran} instructions over several slices`);
  // Stopped: nothing runs while we wait.
  await new Promise((r) => setTimeout(r, 20));
  equal(m.retired, ran);
  // A breakpoint ends a continue; the stop says where.
  await client.send(`Z0,${(CODE + 7).toString(16)},1`);
  equal(await client.reply(), "OK");
  await client.send("vCont;c:p1.-1");
  equal(await client.reply(), "T05thread:p1.1;swbreak:;nestvm-level:1;");
  await client.send("p10"); // rip
  equal(await client.reply(), "0700010000000000");
  await client.send("vKill;1");
  equal(await client.reply(), "OK");
  const r = await done;
  equal(r.reason.kind, "debug");
  client.close();
  m.dispose();
});

Deno.test("server: without -S the guest runs until the debugger connects, then stops", async () => {
  const { m, done, client } = await start(false);
  await client.send("?");
  match(await client.reply(), /^T05thread:p1\.1;/);
  ok(m.retired > 0, "the guest ran before the debugger attached");
  await client.send("D");
  equal(await client.reply(), "OK");
  // Detached: the loop runs on; stop it from outside by killing the guest's budget.
  await new Promise((r) => setTimeout(r, 20));
  const before = m.retired;
  await new Promise((r) => setTimeout(r, 20));
  ok(m.retired > before, "runs on after detach");
  m.cpu.activity = "shutdown";
  m.cpu.requestStop();
  const r = await done;
  equal(r.reason.kind, "triple-fault");
  client.close();
  m.dispose();
});
