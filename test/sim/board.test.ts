// The simulated board: Storage survives reboots, the call-depth ceiling trips, WiFi does not
// reconnect by itself, pins drive setWatch with edge/debounce/repeat, the watchdog reboots.
import { afterEach, describe, expect, it } from "vitest";
import { createSimBoard, estimateVariables, type SimBoard } from "../../host-sim/board.ts";
import { crc32 } from "../../tools/flash/protocol.ts";
import { bootFixture, buildFixture, makeStorage, until } from "./helpers.ts";

let board: SimBoard | undefined;
afterEach(() => board?.stop());

describe("Storage", () => {
  it("keeps files across a simulated reboot, which runs .bootcde again", async () => {
    board = await bootFixture("wifi-up");
    board.eval('require("Storage").write("note", "kept \\xff")');
    board.eval('require("Storage").writeJSON("j", {a: 1})');
    board.reboot("test");
    expect(board.boots).toBe(2);
    expect(board.eval('require("Storage").read("note")')).toBe("kept \xff");
    expect(board.eval('require("Storage").readJSON("j").a')).toBe(1);
    expect(board.storage.readBytes("note")).toEqual(Buffer.from([...Buffer.from("kept "), 0xff]));
    await board.waitForOutput(/fixture: online/, 5000);
    expect(board.output.filter((l) => l.startsWith("sim: boot #")).length).toBe(2);
  });

  it("writes at an offset into a file created with a size, like the board", async () => {
    board = await bootFixture("wifi-up");
    board.eval('var S = require("Storage"); S.write("f", "ab", 0, 6); S.write("f", "cd", 2)');
    expect(board.eval('require("Storage").read("f")')).toBe("abcd\xff\xff");
    expect(board.eval('require("Storage").list().indexOf("f") >= 0')).toBe(true);
    board.eval('require("Storage").erase("f")');
    expect(board.eval('require("Storage").read("f")')).toBeUndefined();
  });
});

describe("uncaught errors", () => {
  it("are printed like the board's and located in the source through the bundle's map", async () => {
    board = await bootFixture("throws");
    await board.waitForOutput(/^Uncaught TypeError: /, 5000);
    const at = await board.waitForOutput(/^sim: uncaught error at /, 5000);
    expect(at).toMatch(/test\/fixtures\/sim\/throws\.js:5:\d+/);
    expect(board.errors).toHaveLength(1);
    expect(board.halted).toBe(false);
  });
});

describe("call depth", () => {
  it("records the deepest firmware call chain", async () => {
    board = await bootFixture("recursion", { depth: "10" });
    await board.waitForOutput(/^fixture: bottom /, 5000);
    expect(board.halted).toBe(false);
    expect(board.maxCallDepth).toBe(10);
    expect(board.deepestStack).toMatch(/^test\/fixtures\/sim\/recursion\.js:\d+/);
  });

  it('stops the firmware with "Too much recursion" past 25 nested calls', async () => {
    board = await bootFixture("recursion", { depth: "30" });
    await board.waitForOutput(/Too much recursion/, 5000);
    expect(board.halted).toBe(true);
    expect(board.maxCallDepth).toBeGreaterThan(25);
    expect(board.output.join("\n")).not.toContain("fixture: bottom");
  });
});

describe("WiFi", () => {
  it("does not reconnect by itself after the access point comes back", async () => {
    board = await bootFixture("wifi-up");
    await board.waitForOutput(/fixture: online/, 5000);
    board.wifiDown();
    await board.waitForOutput(/fixture: event disconnected/, 5000);
    board.wifiUp();
    // Give a reconnect every chance to happen (the simulated AP answers in 30 ms): it must not.
    await new Promise((r) => setTimeout(r, 300));
    expect(board.eval('require("Wifi").getIP().ip')).toBe("0.0.0.0");
    expect(board.output.filter((l) => l.startsWith("fixture: event connected")).length).toBe(1);
    expect(() => board!.eval('require("net").connect({host: "127.0.0.1", port: 9})')).toThrow(expect.objectContaining({ message: "Not connected to the internet" }));
    // Only the firmware's own connect brings it back.
    board.eval('require("Wifi").connect("sim-ap", {password: "x"}, function (e) { console.log("fixture: again " + e); })');
    await board.waitForOutput(/^fixture: again null$/, 5000);
    expect(board.eval('require("Wifi").getIP().ip')).toBe("192.168.4.2");
  });

  it("fails connect with a reason while the access point is down", async () => {
    const code = await buildFixture("wifi-up");
    board = createSimBoard({ storageDir: makeStorage({ ".bootcde": code }) });
    board.wifiDown();
    board.boot();
    await board.waitForOutput(/^fixture: wifi error no_ap_found$/, 5000);
  });

  it("throws from setSNTP when the zone is not a POSIX TZ string", async () => {
    board = await bootFixture("wifi-up");
    expect(() => board!.eval('require("Wifi").setSNTP("pool.ntp.org", 1)')).toThrow(
      expect.objectContaining({ type: "TypeError", message: 'Expecting a POSIX timezone string such as "CET-1CEST,M3.5.0,M10.5.0/3"' }),
    );
    expect(() => board!.eval('require("Wifi").setSNTP("pool.ntp.org", "CET-1CEST,M3.5.0,M10.5.0/3")')).not.toThrow();
  });
});

describe("pins", () => {
  it("calls setWatch on debounced edges, once for a non-repeating watch", async () => {
    board = await bootFixture("watch");
    await board.waitForOutput(/^fixture: armed 1$/, 5000);
    board.setPin("D4", false);
    await board.waitForOutput(/^fixture: D4 false$/, 5000);
    // A glitch shorter than the debounce is not reported.
    board.setPin("D4", true);
    board.setPin("D4", false);
    board.setPin("D5", true);
    await board.waitForOutput(/^fixture: D5 true$/, 5000);
    board.setPin("D5", false);
    board.setPin("D5", true);
    board.setPin("D4", true);
    await board.waitForOutput(/^fixture: D4 true$/, 5000);
    await new Promise((r) => setTimeout(r, 60));
    expect(board.output.filter((l) => l.startsWith("fixture: D"))).toEqual(["fixture: D4 false", "fixture: D5 true", "fixture: D4 true"]);
  });

  it("reads analog values 0..1 on ADC1 pins and refuses others", async () => {
    board = await bootFixture("wifi-up");
    board.setAnalog("D34", 0.5);
    expect(Math.abs((board.eval("analogRead(D34)") as number) - 0.5)).toBeLessThan(1 / 4095);
    expect(() => board!.eval("analogRead(D4)")).toThrow(expect.objectContaining({ type: "Error", message: "Pin D4 is not an ADC1 pin (use D32-D39)" }));
  });
});

describe("watchdog", () => {
  it("reboots a firmware halted by Too much recursion (the hardware watchdog outlives the interpreter)", async () => {
    board = await bootFixture("halt-watchdog");
    await board.waitForOutput(/^ERROR: Too much recursion/, 5000);
    expect(board.halted).toBe(true);
    await board.waitForOutput(/^fixture: boot 2$/, 10000);
    expect(board.halted).toBe(false);
    expect(board.output.some((l) => /watchdog expired/.test(l))).toBe(true);
  });

  it("reboots the board when the firmware stops kicking it", async () => {
    board = await bootFixture("watchdog");
    await board.waitForOutput(/^fixture: boot 2$/, 10000);
    expect(board.output.some((l) => /watchdog expired/.test(l))).toBe(true);
    await until(() => board!.boots === 2, 1000, "second boot");
  });
});

describe("reset and load", () => {
  it("reset() clears the interpreter without running .bootcde; load() runs it again", async () => {
    board = await bootFixture("wifi-up");
    await board.waitForOutput(/fixture: online/, 5000);
    board.eval("global.keptBeforeReset = 1");
    board.eval("reset()");
    await board.waitForOutput(/^sim: reset\(\): interpreter cleared/, 5000);
    expect(board.eval("typeof keptBeforeReset")).toBe("undefined");
    expect(board.output.filter((l) => l === "fixture: online")).toHaveLength(1);
    board.eval("load()");
    await board.waitForOutput(/fixture: online/, 5000);
    expect(board.boots).toBe(3);
  });

  it("reset() and load() restart the interpreter, not the chip: the clock keeps time", async () => {
    board = await bootFixture("wifi-up");
    board.eval("setTime(1700000000)");
    board.eval("reset()");
    await board.waitForOutput(/^sim: reset\(\): interpreter cleared/, 5000);
    expect(board.eval("getTime()")).toBeGreaterThan(1700000000);
    board.eval("load()");
    await board.waitForOutput(/^sim: boot #3/, 5000);
    expect(board.eval("new Date().getUTCFullYear()")).toBe(2023);
    board.reboot("power cycle");
    expect(board.eval("new Date().getUTCFullYear()")).toBe(1970);
  });

  it("reset() runs .boot0 and .bootrst but not .bootcde; at power-on .bootrst runs instead of .bootcde", async () => {
    board = await bootFixture("wifi-up", { ".boot0": 'console.log("fixture: boot0")' });
    await board.waitForOutput(/^fixture: boot0$/, 5000);
    await board.waitForOutput(/^fixture: online$/, 5000);
    board.eval(`require("Storage").write(".bootrst", 'console.log("fixture: bootrst")')`);
    board.eval("reset()");
    await board.waitForOutput(/^fixture: bootrst$/, 5000);
    await board.waitForOutput(/^fixture: boot0$/, 5000);
    board.reboot("power cycle");
    await board.waitForOutput(/^fixture: bootrst$/, 5000);
    await new Promise((r) => setTimeout(r, 100)); // the WiFi of a .bootcde would be up by now (30 ms)
    expect(board.output.filter((l) => l === "fixture: online")).toHaveLength(1);
  });

  it("reset(true) erases .bootcde and .bootrst; E.setBootCode(code, true) writes .bootrst; load(file) runs that file", async () => {
    board = await bootFixture("wifi-up", { other: 'console.log("fixture: other file")' });
    board.eval(`E.setBootCode('console.log("fixture: always")', true)`);
    expect(board.storage.names()).toContain(".bootrst");
    expect(board.storage.names()).not.toContain(".bootcde");
    board.eval(`E.setBootCode('console.log("fixture: normal")')`);
    expect(board.storage.names()).not.toContain(".bootrst");
    board.eval("reset(true)");
    await board.waitForOutput(/^Erasing saved code\.$/, 5000);
    await board.waitForOutput(/^Done!$/, 5000);
    expect(board.storage.names()).not.toContain(".bootcde");
    board.eval('load("other")');
    await board.waitForOutput(/^fixture: other file$/, 5000);
  });
});

describe("E.CRC32", () => {
  it("is the standard CRC-32 of the bytes, unsigned, for strings, arrays and typed arrays", async () => {
    board = await bootFixture("wifi-up");
    const check = 0xcbf43926; // CRC-32 of "123456789"
    expect(board.eval('E.CRC32("123456789")')).toBe(check);
    expect(board.eval("E.CRC32([49, 50, 51, 52, 53, 54, 55, 56, 57])")).toBe(check);
    expect(board.eval('E.CRC32(E.toUint8Array("123456789"))')).toBe(check);
    expect(board.eval('E.CRC32("")')).toBe(0);
    // What the flash tool's read-back check compares against its own CRC of the bytes it sent.
    const code = board.storage.readBytes(".bootcde")!;
    expect(board.eval('E.CRC32(require("Storage").read(".bootcde"))')).toBe(crc32(code));
  });
});

describe("board APIs", () => {
  it("E.toString/E.toUint8Array make byte strings, btoa/atob are binary-safe, E.setBootCode writes .bootcde", async () => {
    board = await bootFixture("wifi-up");
    expect(board.eval(`E.toString([0xe2, 0x82], 0xac, "!")`)).toBe("\xe2\x82\xac!");
    expect(board.eval(`var u = E.toUint8Array("\\xff\\x00a"); u instanceof Uint8Array && u.length === 3 && u[0] === 255`)).toBe(true);
    expect(board.eval(`btoa("\\xff\\xfe\\x00")`)).toBe("//4A");
    expect(board.eval(`atob("//4A") === "\\xff\\xfe\\x00"`)).toBe(true);
    board.eval(`E.setBootCode('console.log("fixture: new code")')`);
    expect(board.storage.readBytes(".bootcde")?.toString("latin1")).toBe('console.log("fixture: new code")');
    board.reboot("new code");
    await board.waitForOutput(/^fixture: new code$/, 5000);
  });

  it("estimates process.memory() from the code size (no configuration, no connection open), of 3400", async () => {
    board = await bootFixture("wifi-up");
    const bytes = board.storage.readBytes(".bootcde")!.length;
    const m = board.eval("process.memory()") as { free: number; usage: number; total: number };
    expect(m.total).toBe(3400);
    // The calibrated estimate (host-sim/board.ts, held to the real interpreter by test/real/calibration.test.ts).
    expect(m.usage).toBe(estimateVariables({ codeBytes: bytes, configBytes: 0, connectionOpen: false, heldBytes: 0 }));
    expect(m.free).toBe(m.total - m.usage);
  });

  it("keeps a StorageFile opened for append across reboots and reads it back line by line", async () => {
    board = await bootFixture("wifi-up");
    board.eval(`var f = require("Storage").open("log", "a"); f.write("one\\n"); f.write("two\\n")`);
    board.reboot("test");
    expect(board.eval(`var f = require("Storage").open("log", "r"); [f.readLine(), f.readLine(), f.readLine()].join("|")`)).toBe("one\n|two\n|");
    expect(board.eval(`require("Storage").open("log", "r").getLength()`)).toBe(8);
  });

  it("starts the clock near 1970 and sets it when the firmware asks for SNTP with WiFi up", async () => {
    board = await bootFixture("wifi-up");
    expect(board.eval("new Date().getUTCFullYear()")).toBe(1970);
    await board.waitForOutput(/fixture: online/, 5000);
    board.eval(`require("Wifi").setSNTP("pool.ntp.org", "UTC0")`);
    await board.waitForOutput(/^sim: SNTP: clock set/, 5000);
    expect(board.eval("new Date().getUTCFullYear()")).toBe(new Date().getUTCFullYear());
    expect(Math.abs((board.eval("getTime()") as number) - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe("local time", () => {
  it("is UTC plus E.setTimeZone, whatever the PC's zone", async () => {
    board = await bootFixture("wifi-up");
    expect(board.eval("var d = new Date(0); [d.getHours(), d.getTimezoneOffset()].join()")).toBe("0,0");
    board.eval("E.setTimeZone(2)");
    expect(board.eval("var d = new Date(0); [d.getHours(), d.getDate(), d.getTimezoneOffset()].join()")).toBe("2,1,-120");
    expect(board.eval("new Date(1970, 0, 1, 2).getTime()")).toBe(0);
    expect(board.eval("var d = new Date(0); d.setHours(5); d.getTime()")).toBe(3 * 3600e3);
  });
});
