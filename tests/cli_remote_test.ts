/**
 * The CLI run as a remote module, as users of the published package run it
 * (`deno run -A <url>/cli.ts --demo`): the demo image is fetched from beside
 * the module instead of being read as a local file.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

Deno.test("cli: --demo works when cli.ts is imported from an http URL", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname.replace(/^\/+/, "");
    if (path.includes("..")) return new Response("no", { status: 403 });
    try {
      return new Response(await Deno.readFile(new URL(path, ROOT)));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const cache = await Deno.makeTempDir({ prefix: "nestvm-remote-" });
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-config", `--reload=${base}`, `${base}/cli.ts`, "--demo"],
      cwd: cache,
      env: { NO_COLOR: "1", DENO_DIR: `${cache}/deno` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(text, /^ok 13 - CR4\.VMXE cleared after VMXOFF$/m);
    await Deno.remove(cache, { recursive: true });
  } finally {
    await server.shutdown();
  }
});
