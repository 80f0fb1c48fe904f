// `npm run flash` and a PC build of Espruino (board "ESP32SIM_LINUX"): refused unless the person types
// --allow-sim; boards are unaffected. Runs without ESPRUINO (a stand-in interpreter answers the console).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startConsoleServer, type ConsoleServer } from "../../host-sim/console-server.ts";
import type { DeviceConfig } from "../../src/config.ts";
import { flashBoard, isPcBuild } from "../../tools/flash/flash-board.ts";
import { createFakeEspruino, type FakeEspruino } from "../flash/fake-espruino.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const APP = Buffer.from('console.log("alertmail: ready");\n', "latin1");
const CONFIG = { device: { name: "Lane" } } as unknown as DeviceConfig;
const PC_ENV = { BOARD: "ESP32SIM_LINUX", MODULES: "timer,Flash,Storage,heatshrink,fs,net,dgram,tls,http,NetworkJS,TelnetServer,crypto" };

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

describe("flashing a PC build of Espruino", () => {
  it("refuses it without --allow-sim, naming the option, and writes nothing", async () => {
    const board = createFakeEspruino({ env: PC_ENV });
    await expect(flashBoard({ port: await serve(board), config: CONFIG, appJs: APP, bootTimeoutMs: 5000 })).rejects.toMatchObject({
      code: "EBOARD",
      message: expect.stringMatching(/"ESP32SIM_LINUX", a build of Espruino for a PC, not an ESP32.*--allow-sim.*nothing was written/s),
    });
    expect(board.storage.size).toBe(0);
  });

  it("flashes it with --allow-sim, and says so", async () => {
    const board = createFakeEspruino({ env: PC_ENV });
    const said: string[] = [];
    const r = await flashBoard({ port: await serve(board), config: CONFIG, appJs: APP, bootTimeoutMs: 5000, allowSim: true, log: (l) => said.push(l) });
    expect(r.bootLine).toMatch(/alertmail: ready/);
    expect(Buffer.from(board.storage.get(".bootcde")!, "latin1")).toEqual(APP);
    expect(said.some((l) => /--allow-sim: flashing a PC build of Espruino \(ESP32SIM_LINUX\)/.test(l))).toBe(true);
  });

  it("--allow-sim changes nothing for a board: an ESP32 flashes as before, a non-ESP32 is still refused", async () => {
    const esp32 = createFakeEspruino();
    await flashBoard({ port: await serve(esp32), config: CONFIG, appJs: APP, bootTimeoutMs: 5000, allowSim: true });
    expect(esp32.boots).toBe(1);
    const pico = createFakeEspruino({ env: { BOARD: "PICO_R1_3" } });
    await expect(flashBoard({ port: await serve(pico), config: CONFIG, appJs: APP, allowSim: true })).rejects.toMatchObject({ code: "EBOARD" });
    expect(pico.storage.size).toBe(0);
  });

  it("tells the builds apart by the board name", () => {
    expect(isPcBuild("ESP32SIM_LINUX")).toBe(true);
    expect(isPcBuild("LINUX")).toBe(true);
    expect(isPcBuild("ESP32")).toBe(false);
    expect(isPcBuild("ESP32_IDF4")).toBe(false);
    expect(isPcBuild("ESP32C3_IDF4")).toBe(false);
  });

  it("npm run flash lists the option", () => {
    const help = execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), ["tools/flash.ts", "--help"], { cwd: ROOT, encoding: "utf8" });
    expect(help).toMatch(/--allow-sim\s+also flash a PC build of Espruino/);
  });
});
