/**
 * A stand-in VMM for the runner's tests: it reads the "image" given with
 * -kernel (a text file), prints its lines and the -append value, and exits
 * with `(code << 1) | 1` for a line `EXIT code`, or sleeps for `HANG`.
 *
 * @module
 */
const args = Deno.args;
const image = args[args.indexOf("-kernel") + 1];
const append = args.indexOf("-append") >= 0 ? args[args.indexOf("-append") + 1] : "";
console.log(`argv: ${args.join("|")}`);
console.log(`append: ${append}`);
for (const line of Deno.readTextFileSync(image).split("\n")) {
  const exit = /^EXIT (\d+)$/.exec(line);
  if (exit) Deno.exit((Number(exit[1]) << 1) | 1);
  if (line === "HANG") await new Promise((r) => setTimeout(r, 60_000));
  if (line !== "") console.log(line);
}
Deno.exit(0);
