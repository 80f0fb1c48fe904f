// `npm run log`: the board's console on the PC through the flash tool's link, UTF-8 shown right even when
// a character's bytes arrive in two reads, against the simulator's console server and a byte-dribbling peer.
import { spawn } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startConsoleServer, type ConsoleServer } from "../../host-sim/console-server.ts";
import { ROOT } from "../../tools/build.ts";
import { utf8Stream, watchLog } from "../../tools/log.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A TCP peer that sends `bytes` one byte per write, then closes. */
async function dribbler(bytes: Buffer): Promise<number> {
  const server: Server = createServer(async (sock: Socket) => {
    for (const b of bytes) {
      sock.write(Buffer.from([b]));
      await new Promise((r) => setTimeout(r, 1));
    }
    sock.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

describe("UTF-8 from the board", () => {
  it("keeps a character whole when its bytes are split across reads", () => {
    const bytes = Buffer.from("freezer: -4.99 °C\n", "utf8");
    const cut = bytes.indexOf(0xb0); // between 0xC2 and 0xB0
    const s = utf8Stream();
    const text = s.push(bytes.subarray(0, cut)) + s.push(bytes.subarray(cut)) + s.end();
    expect(text).toBe("freezer: -4.99 °C\n");
    expect(text).not.toContain("Â");
  });

  it("reads a peer that sends one byte at a time, through the flash tool's tcp link", async () => {
    const port = await dribbler(Buffer.from("alertmail: sent \"Küche: -4.99 °C\" → 2 recipients €\r\n", "utf8"));
    let out = "";
    await watchLog({ port: `tcp://127.0.0.1:${port}`, write: (t) => (out += t), say: () => {}, reconnect: false });
    expect(out).toBe("alertmail: sent \"Küche: -4.99 °C\" → 2 recipients €\r\n");
  });

  it("shows what the simulator's console prints (npm start -- --console PORT)", async () => {
    const listeners = new Set<(l: string) => void>();
    const board = { eval: () => undefined, reboot: () => undefined, output: [] as string[], onOutput: (fn: (l: string) => void) => (listeners.add(fn), () => listeners.delete(fn)) };
    const con: ConsoleServer = await startConsoleServer(board, 0);
    cleanups.push(() => con.close());
    const stop = new AbortController();
    let out = "";
    const watching = watchLog({ port: `tcp://127.0.0.1:${con.port}`, write: (t) => (out += t), say: () => {}, signal: stop.signal });
    for (let i = 0; i < 200 && listeners.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    // Wait until the console has this client, then print.
    await new Promise((r) => setTimeout(r, 100));
    listeners.forEach((l) => l("alertmail: freezer -4.99 °C"));
    for (let i = 0; i < 200 && !out.includes("°C"); i++) await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    await watching;
    expect(out).toContain("alertmail: freezer -4.99 °C\r\n");
  });

  it("gives the flash tool's words when nothing listens", async () => {
    const port = await dribbler(Buffer.alloc(0));
    cleanups.splice(0).forEach((c) => c());
    await new Promise((r) => setTimeout(r, 50));
    await expect(watchLog({ port: `tcp://127.0.0.1:${port}`, say: () => {}, reconnect: false })).rejects.toMatchObject({
      message: expect.stringMatching(/refused the connection: nothing listens there/),
    });
  });
});

describe("npm run log", () => {
  it("prints the board's text on stdout and its status on stderr; --once ends at the close", async () => {
    const port = await dribbler(Buffer.from("boot: Grüße °C\n", "utf8"));
    const child = spawn("npm", ["run", "--silent", "log", "--", "--port", `tcp://127.0.0.1:${port}`, "--once"], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise((r) => child.on("close", r));
    expect(code).toBe(0);
    expect(stdout).toBe("boot: Grüße °C\n");
    expect(stderr).toMatch(/log: connected to tcp:\/\/127\.0\.0\.1:\d+/);
  });

  it("--help lists its options", async () => {
    const child = spawn("npm", ["run", "--silent", "log", "--", "--help"], { cwd: ROOT });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    expect(await new Promise((r) => child.on("close", r))).toBe(0);
    for (const o of ["--port", "--time", "--once"]) expect(stdout).toContain(o);
  });
});
