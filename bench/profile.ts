/**
 * CPU profile of a nestvm run, taken through the V8 inspector (Deno has no
 * `--cpu-prof`): runs the command line in a child `deno run --inspect-wait`,
 * samples it until it ends or for `--seconds`, prints the functions with
 * the most self time and can write the profile for Chrome DevTools or
 * Perfetto (`--out run.cpuprofile`).
 *
 *   deno run -A bench/profile.ts [--seconds 30] [--top 40] [--interval 500]
 *     [--out FILE] [--v8-flags FLAGS] -- <cli.ts options>
 *
 * e.g. `deno run -A bench/profile.ts --seconds 40 -- -kernel access_test.flat
 * -device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4`.
 * Sampling costs a few percent of speed; figures are shares of samples,
 * not times to compare between runs. Time in a function V8 inlined counts
 * as its caller's; `--v8-flags=--no-turbo-inlining` attributes it exactly
 * (at some cost in speed).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type CpuProfile, selfTimeTable } from "./profile_table.ts";

const DONE = "nestvm-profile-target: done";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "30" },
    top: { type: "string", default: "40" },
    interval: { type: "string", default: "500" },
    out: { type: "string" },
    "v8-flags": { type: "string" },
  },
  allowPositionals: true,
});
const seconds = Number(values.seconds), top = Number(values.top);
const interval = Number(values.interval);
if (!(seconds > 0) || !(top > 0) || !(interval > 0) || positionals.length === 0) {
  console.error(
    "usage: deno run -A bench/profile.ts [--seconds S] [--top N] [--interval US] [--out FILE] -- <cli.ts options>",
  );
  Deno.exit(2);
}

const port = 20000 + Math.floor(Math.random() * 20000);
const target = new URL("./profile_target.ts", import.meta.url).pathname;
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    `--inspect-wait=127.0.0.1:${port}`,
    ...(values["v8-flags"] ? [`--v8-flags=${values["v8-flags"]}`] : []),
    target,
    ...positionals,
  ],
  stdout: "inherit",
  stderr: "piped",
}).spawn();

// The target prints DONE on stderr when the run has ended (and then waits).
let finished: () => void = () => {};
const ended = new Promise<void>((r) => finished = r);
(async () => {
  const lines = child.stderr.pipeThrough(new TextDecoderStream());
  let buf = "";
  for await (const chunk of lines) {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith(DONE)) finished();
      else if (!line.startsWith("Debugger listening") && !line.startsWith("Visit chrome:")) {
        console.error(line);
      }
    }
  }
  finished();
})();

/** The inspector's WebSocket address, once the child listens. */
async function debuggerUrl(): Promise<string> {
  for (let i = 0; i < 200; i++) {
    try {
      const list = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
      if (list.length > 0) return list[0].webSocketDebuggerUrl;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the child's inspector did not come up");
}

const ws = new WebSocket(await debuggerUrl());
await new Promise((r, e) => {
  ws.onopen = r;
  ws.onerror = e;
});
let nextId = 0;
const waiting = new Map<number, (result: Record<string, unknown>) => void>();
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  const w = waiting.get(m.id);
  if (w !== undefined) {
    waiting.delete(m.id);
    w(m.result ?? {});
  }
};
function send(method: string, params: Record<string, unknown> = {}) {
  const id = ++nextId;
  ws.send(JSON.stringify({ id, method, params }));
  return new Promise<Record<string, unknown>>((r) => waiting.set(id, r));
}

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval });
await send("Profiler.start");
void send("Runtime.runIfWaitingForDebugger");
const t0 = performance.now();
let timer: ReturnType<typeof setTimeout> | undefined;
await Promise.race([ended, new Promise((r) => timer = setTimeout(r, seconds * 1000))]);
clearTimeout(timer);
const wallS = (performance.now() - t0) / 1000;
const { profile } = await send("Profiler.stop") as { profile: CpuProfile };
ws.close();
child.kill("SIGKILL");
await child.status;

if (values.out) Deno.writeTextFileSync(values.out, JSON.stringify(profile));
console.log(`profile: ${profile.samples.length} samples over ${wallS.toFixed(1)} s`);
const root = new URL("..", import.meta.url).href;
for (const row of selfTimeTable(profile, root).slice(0, top)) {
  console.log(`${(row.share * 100).toFixed(1).padStart(5)}%  ${row.name}  ${row.where}`);
}
