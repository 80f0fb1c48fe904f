// The flash protocol against a fake interpreter: byte-exact Storage, replies, refusals, the --out stream.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { startConsoleServer, type ConsoleServer } from "../../host-sim/console-server.ts";
import { flashBoard, type FlashOptions } from "../../tools/flash/flash-board.ts";
import { storageFiles } from "../../tools/flash/payload.ts";
import { crc32, flashSteps, parseReply, wireStream } from "../../tools/flash/protocol.ts";
import type { DeviceConfig } from "../../src/config.ts";
import { createFakeEspruino, type FakeEspruino } from "./fake-espruino.ts";

/** Runnable code carrying every byte value but "*" in a comment, quotes and line ends: what must survive the trip. */
const APP = Buffer.concat([
  Buffer.from('console.log("alertmail: ready");\n/* "quotes" \\ backslash \r\n', "latin1"),
  Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256).filter((b) => b !== 0x2a)),
  Buffer.from("*/\n", "latin1"),
]);
const CONFIG = { device: { name: "Cellar é" }, wifi: { ssid: "x", password: "\"'\\\n" } } as unknown as DeviceConfig;

let servers: ConsoleServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function serve(board: FakeEspruino): Promise<string> {
  const s = await startConsoleServer(board);
  servers.push(s);
  return `tcp://127.0.0.1:${s.port}`;
}

function flash(board: FakeEspruino, port: string, extra: Partial<FlashOptions> = {}) {
  return flashBoard({ port, config: CONFIG, appJs: APP, chunkBytes: 100, bootTimeoutMs: 5000, ...extra });
}

describe("flash protocol", () => {
  it("writes both Storage files byte for byte, verifies them by CRC32, and waits for the boot line", async () => {
    const board = createFakeEspruino({ crc: true });
    const seen: number[] = [];
    const r = await flash(board, await serve(board), { progress: (w) => seen.push(w) });
    for (const f of storageFiles(APP, CONFIG)) expect(Buffer.from(board.storage.get(f.name)!, "latin1")).toEqual(f.data);
    expect(board.boots).toBe(1);
    expect(r.bootLine).toBe("alertmail: ready");
    expect(seen[seen.length - 1]).toBe(APP.length + storageFiles(APP, CONFIG)[0]!.data.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it("--config-only writes alertmail.json and leaves the code alone", async () => {
    const board = createFakeEspruino();
    board.storage.set(".bootcde", 'console.log("alertmail: ready")');
    await flash(board, await serve(board), { configOnly: true });
    expect([...board.storage.keys()].sort()).toEqual([".bootcde", "alertmail.json"]);
    expect(board.storage.get(".bootcde")).toBe('console.log("alertmail: ready")');
    expect(JSON.parse(Buffer.from(board.storage.get("alertmail.json")!, "latin1").toString("utf8"))).toEqual(CONFIG);
  });

  it("compacts Storage before writing only when the files would not fit in its free end", async () => {
    const need = storageFiles(APP, CONFIG).reduce((n, f) => n + f.data.length + 64, 0);
    const roomy = createFakeEspruino({ storageBytes: need * 3, trash: need });
    await flash(roomy, await serve(roomy));
    expect(roomy.compactions).toBe(0);
    const tight = createFakeEspruino({ storageBytes: need * 2, trash: need + 100 });
    const said: string[] = [];
    await flash(tight, await serve(tight), { log: (l) => said.push(l) });
    expect(tight.compactions).toBe(1);
    expect(said).toContain("compacted Storage first, so the old code stays intact until the restart");
    expect(Buffer.from(tight.storage.get(".bootcde")!, "latin1")).toEqual(APP);
  });

  it("notices bytes that changed on the way into flash (CRC32 read back)", async () => {
    const board = createFakeEspruino({ crc: true, damage: true });
    await expect(flash(board, await serve(board))).rejects.toMatchObject({ code: "EWRITE", message: expect.stringMatching(/\.bootcde: the CRC32 of the stored file differs/) });
    expect(board.boots).toBe(0);
  });

  it("--config-only refuses a board that has no code to run the configuration", async () => {
    const board = createFakeEspruino();
    await expect(flash(board, await serve(board), { configOnly: true })).rejects.toMatchObject({ code: "ENOCODE" });
    expect(board.storage.size).toBe(0);
  });

  it("replaying the --out stream gives the same Storage as flashing", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "alertmail-flash-")), "upload.txt");
    await flashBoard({ out, config: CONFIG, appJs: APP, chunkBytes: 100 });
    const flashed = createFakeEspruino();
    await flash(flashed, await serve(flashed));
    const replayed = createFakeEspruino();
    const { connect } = await import("node:net");
    const port = Number((await serve(replayed)).split(":").pop());
    await new Promise<void>((resolve) => {
      const s = connect(port, "127.0.0.1", () => s.write(readFileSync(out)));
      s.on("data", () => {
        if (replayed.boots === 1) s.end(), resolve();
      });
    });
    expect(replayed.storage).toEqual(flashed.storage);
    expect(replayed.storage.size).toBe(2);
  });

  it("refuses a firmware without tls and writes nothing", async () => {
    const board = createFakeEspruino({ env: { BOARD: "ESP32_IDF4", MODULES: "Flash,Storage,net,Wifi,ESP32" } });
    await expect(flash(board, await serve(board))).rejects.toMatchObject({ code: "ENOTLS", message: expect.stringMatching(/official ESP32 firmware.*not ESP32_IDF4/) });
    expect(board.storage.size).toBe(0);
  });

  it("refuses a board that is not an ESP32", async () => {
    const board = createFakeEspruino({ env: { BOARD: "PICO_R1_3" } });
    await expect(flash(board, await serve(board))).rejects.toMatchObject({ code: "EBOARD" });
    expect(board.storage.size).toBe(0);
  });

  it("refuses when Storage has too little room, counting the space of the files it replaces", async () => {
    const need = storageFiles(APP, CONFIG).reduce((n, f) => n + f.data.length + 64, 0);
    const small = createFakeEspruino({ storageBytes: need - 1 });
    await expect(flash(small, await serve(small))).rejects.toMatchObject({ code: "ESTORAGE" });
    expect(small.storage.size).toBe(0);
    // Enough once the old .bootcde it replaces is counted as free.
    const full = createFakeEspruino({ storageBytes: need + 200 });
    full.storage.set(".bootcde", "x".repeat(need - 200));
    await flash(full, await serve(full));
    expect(Buffer.from(full.storage.get(".bootcde")!, "latin1")).toEqual(APP);
  });

  it("reports a board that never answers", async () => {
    const { createServer } = await import("node:net");
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    await expect(flash(createFakeEspruino(), `tcp://127.0.0.1:${port}`, { probeTimeoutMs: 300 })).rejects.toMatchObject({
      code: "ENOREPLY",
      message: expect.stringMatching(/no Espruino answered.*nothing at all was received/),
    });
    silent.close();
  });

  it("fails loudly when the restarted firmware says its configuration is bad", async () => {
    const board = createFakeEspruino();
    const app = Buffer.from('console.log("alertmail: bad configuration: smtp.host missing")');
    await expect(flash(board, await serve(board), { appJs: app })).rejects.toMatchObject({ code: "EBOOT", message: expect.stringMatching(/smtp.host missing/) });
  });

  it("over tcp, reconnects after a restart that cut the console and checks alertmail runs", async () => {
    const board = createFakeEspruino();
    board.eval("alertmail={}"); // defined whether or not load() got through before the cut
    // A telnet session the board drops while restarting (its WiFi reconnect), before the boot line.
    const proxy = await cuttingProxy(await serve(board), (sent) => sent.includes("load()"));
    const app = Buffer.from("alertmail={test:function(){}}");
    const r = await flash(board, proxy.port, { appJs: app });
    expect(proxy.cuts()).toBe(1);
    expect(r.bootLine).toMatch(/^alertmail: ready \(seen by reconnecting/);
  });

  it("says how far it got when the connection drops in the middle of the writes", async () => {
    const board = createFakeEspruino();
    const proxy = await cuttingProxy(await serve(board), (sent) => sent.includes('"@"+"am 6 "'), false);
    await expect(flash(board, proxy.port)).rejects.toMatchObject({
      code: "ECLOSED",
      message: expect.stringMatching(/during step 6 \(write \.bootcde, \d+\/\d+ bytes written\).*Run the same command again/),
    });
    expect(board.boots).toBe(0);
  });
});

/** A TCP proxy to a console that cuts the session at the first chunk matching `cutWhen`, after passing it on or not. */
async function cuttingProxy(target: string, cutWhen: (sent: string) => boolean, passOn = true) {
  const { createServer, connect } = await import("node:net");
  const targetPort = Number(target.split(":").pop());
  let cuts = 0;
  const proxy = createServer((client) => {
    const up = connect(targetPort, "127.0.0.1");
    up.on("data", (d) => client.write(d));
    client.on("data", (d) => {
      if (cuts === 0 && cutWhen(d.toString("latin1"))) {
        cuts++;
        const cut = () => (client.destroy(), up.destroy());
        if (passOn) up.write(d, () => setTimeout(cut, 0));
        else cut();
      } else up.write(d);
    });
    client.on("error", () => {});
    up.on("error", () => {});
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  servers.push({ port: 0, close: () => new Promise<void>((r) => proxy.close(() => r())) });
  return { port: `tcp://127.0.0.1:${(proxy.address() as { port: number }).port}`, cuts: () => cuts };
}

describe("protocol lines", () => {
  it("every line is ASCII, starts with echo-off and ends in one newline", () => {
    const steps = flashSteps(storageFiles(APP, CONFIG));
    const stream = wireStream(steps);
    expect(stream[0]).toBe(0x03);
    for (const s of steps) {
      expect(s.line).toMatch(/^\x10[\x20-\x7e]+\n$/);
      expect(s.line.length).toBeLessThan(800);
    }
    expect(stream.length).toBe(1 + steps.reduce((n, s) => n + s.line.length, 0));
  });

  it("an echoed command is never mistaken for its reply", () => {
    for (const s of flashSteps(storageFiles(APP, CONFIG))) expect(parseReply(s.line)).toBeNull();
    expect(parseReply('>@am 12 ok {"a":1}\r')).toEqual({ seq: 12, ok: true, value: { a: 1 } });
    expect(parseReply('@am 3 err "Error: no"')).toEqual({ seq: 3, ok: false, value: "Error: no" });
  });

  it("computes the same CRC32 as zlib (what E.CRC32 returns)", () => {
    expect(crc32(APP)).toBe(zlibCrc32(APP));
  });
});
