// The simulator refuses what Espruino 2v29 refuses (docs/espruino.md §5), so code that only works on Node fails here.
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { SimBoard } from "../../host-sim/board.ts";
import { bootFixture, bootRawFixture, until } from "./helpers.ts";

let board: SimBoard | undefined;
afterEach(() => board?.stop());

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe("the firmware's context", () => {
  it("fails a bundle that calls new Map() with a ReferenceError", async () => {
    board = await bootFixture("map");
    await board.waitForOutput(/^Uncaught ReferenceError: Map is not defined/, 5000);
    expect(board.output.join("\n")).not.toContain("fixture: map worked");
    expect(board.errors).toEqual(["ReferenceError: Map is not defined"]);
  });

  it("refuses a bundle with syntax Espruino cannot run before any of it runs", async () => {
    board = bootRawFixture("destructuring"); // esbuild with the firmware's settings would refuse it
    await board.waitForOutput(/^Uncaught SyntaxError: destructuring/, 5000);
    expect(await board.waitForOutput(/^sim: refused at /, 5000)).toBe("sim: refused at .bootcde:4:7: nothing of .bootcde ran");
    expect(board.output.join("\n")).not.toContain("fixture: started");
  });

  it("refuses console input with such syntax too", async () => {
    board = await bootFixture("wifi-up");
    for (const code of ["var [a] = [1]", "f(...[1])", "a?.b", "2 ** 3", "x = {[k]: 1}", "async function f() {}", "l: for (;;) break l", "(function (a = 1) {})"]) {
      expect(() => board!.eval(code), code).toThrow(expect.objectContaining({ type: "SyntaxError" }));
    }
    expect(board.eval("var o = {a: 1}; o.a + 1")).toBe(2);
  });

  it("has none of the globals Espruino lacks", async () => {
    board = await bootFixture("wifi-up");
    const names = ["Map", "Set", "WeakMap", "WeakSet", "WeakRef", "Symbol", "Proxy", "Reflect", "Buffer", "TextEncoder", "TextDecoder", "queueMicrotask", "setImmediate", "structuredClone", "BigInt", "RangeError"];
    const types = board.eval(`[${names.map((n) => `typeof ${n}`).join(",")}].join()`);
    expect(types).toBe(names.map(() => "undefined").join());
    expect(board.eval("typeof process.nextTick + typeof Object.freeze + typeof [].at + typeof Array.from + typeof Promise.prototype.finally + typeof Number.isInteger + typeof ''.trimStart")).toBe("undefined".repeat(7));
    expect(board.eval("[typeof Promise, typeof Uint8Array, typeof btoa, typeof E.toString, typeof InternalError].join()")).toBe("function,function,function,function,function");
  });

  it("gives process.env the ESP32's BOARD, VERSION and MODULES with tls", async () => {
    board = await bootFixture("wifi-up");
    expect(board.eval("process.env.BOARD + ' ' + process.env.VERSION")).toBe("ESP32 2v29");
    expect(board.eval("process.env.MODULES.split(',').indexOf('tls') >= 0")).toBe(true);
  });

  it("refuses require of a module the build lacks, like the board", async () => {
    board = await bootFixture("wifi-up", {}, { env: { MODULES: "Storage,net,Wifi,ESP32" } });
    expect(() => board!.eval('require("tls")')).toThrow(expect.objectContaining({ message: 'Module "tls" not found' }));
    expect(() => board!.eval('require("events")')).toThrow(expect.objectContaining({ message: 'Module "events" not found' }));
  });

  it("reproduces the multi-character indexOf/includes/replace false positives (trap 1)", async () => {
    board = await bootFixture("wifi-up");
    expect(board.eval(`"abc\\r".indexOf("\\r\\n")`)).toBe(3);
    expect(board.eval(`"xB".indexOf("BC")`)).toBe(1);
    expect(board.eval(`"abc\\r".includes("\\r\\n")`)).toBe(true);
    expect(board.eval(`"abc\\r".replace("\\r\\n", "X")`)).toBe("abcX");
    expect(board.eval(`"a\\r\\nb".indexOf("\\n")`)).toBe(2);
  });

  it("keeps only the low byte of String.fromCharCode and writes JSON non-ASCII as \\u00XX", async () => {
    board = await bootFixture("wifi-up");
    // UTF-8 "Ä" is the bytes C3 84: case mapping leaves them alone, as the board does.
    expect(board.eval(`"\xc3\x84b".toLowerCase()`)).toBe("\xc3\x84b");
    expect(board.eval(`"\xc3\xa4b".toUpperCase()`)).toBe("\xc3\xa4B");
    expect(board.eval("String.fromCharCode(0x20AC).charCodeAt(0)")).toBe(0xac);
    expect(board.eval(`JSON.stringify("\\xe9")`)).toBe('"\\u00E9"');
  });
});

describe("objects", () => {
  it("ignores enumerable:false and writable:false like the board", async () => {
    board = await bootFixture("wifi-up");
    expect(board.eval(`var o = {}; Object.defineProperty(o, "v", {value: 1, enumerable: false}); o.v = 2; Object.keys(o).join() + o.v`)).toBe("v2");
  });
});

describe("timers", () => {
  it("throws on clearTimeout(undefined) and clearInterval(undefined)", async () => {
    board = await bootFixture("wifi-up");
    expect(() => board!.eval("clearTimeout(undefined)")).toThrow(expect.objectContaining({ message: "clearTimeout(undefined) not allowed. Use clearTimeout() instead" }));
    expect(() => board!.eval("var t; clearInterval(t)")).toThrow(expect.objectContaining({ message: expect.stringContaining("clearInterval(undefined)") }));
    expect(board.eval("var id = setTimeout(function () {}, 1000); clearTimeout(id); typeof id")).toBe("number");
  });

  it("reuse ids like the board: one more than the highest pending, 1 when none is, a firing timeout still pending", async () => {
    board = await bootFixture("wifi-up");
    board.eval("clearTimeout()");
    const f = "function () {}";
    expect(board.eval(`var a = setTimeout(${f}, 1000), b = setInterval(${f}, 1000); clearInterval(b); [a, b, setTimeout(${f}, 1000)].join()`)).toBe("1,2,2");
    board.eval("clearTimeout()");
    expect(board.eval(`setTimeout(${f}, 1000)`)).toBe(1);
    board.eval("clearTimeout()");
    // jsiIdle removes a timeout after its callback: inside it, its own id is still taken.
    board.eval(`var own = setTimeout(function () { console.log("fixture: inner " + own + " " + setTimeout(${f}, 1000)); }, 1)`);
    await board.waitForOutput(/^fixture: inner 1 2$/, 2000);
    expect(board.eval(`setTimeout(${f}, 1000)`)).toBe(3); // own (1) is gone, inner (2) still pending
  });
});

describe("promises", () => {
  it("run then-callbacks as idle-loop events, after the timers due in the same pass (row 141)", async () => {
    board = await bootFixture("wifi-up");
    board.eval(`var order = []; setTimeout(function () { order.push("t0"); }, 0);
      Promise.resolve().then(function () { order.push("p1"); }).then(function () { order.push("p2"); }); order.push("sync")`);
    await until(() => board!.eval("order.length") === 4, 2000, "four entries");
    expect(board.eval("order.join()")).toBe("sync,t0,p1,p2");
  });

  it("resolve, reject, catch, adopt thenables and Promise.all; there is no finally, race, allSettled or any", async () => {
    board = await bootFixture("wifi-up");
    board.eval(`var out = [];
      Promise.all([1, Promise.resolve(2), new Promise(function (r) { setTimeout(r, 5, 3); })]).then(function (v) { out.push(v.join("+")); });
      Promise.reject(new Error("no")).catch(function (e) { out.push(e.message); });
      new Promise(function () { throw "thrown"; }).then(null, function (e) { out.push(e); });
      Promise.resolve({ then: function (ok) { ok("thenable"); } }).then(function (v) { out.push(v); });
      Promise.resolve(1).then(function () { throw "in then"; }).then(null, function (e) { out.push(e); });`);
    await until(() => board!.eval("out.length") === 5, 2000, "five results");
    expect((board.eval("out") as string[]).slice().sort()).toEqual(["1+2+3", "in then", "no", "thenable", "thrown"]);
    expect(board.eval("[typeof Promise.prototype.finally, typeof Promise.race, typeof Promise.allSettled, typeof Promise.any].join()")).toBe("undefined,undefined,undefined,undefined");
    expect(board.eval("Promise.resolve(1) instanceof Promise")).toBe(true);
  });
});

describe("sockets", () => {
  it("throws synchronously from connect when nothing listens on the port", async () => {
    board = await bootFixture("wifi-up");
    await board.waitForOutput(/fixture: online/, 5000);
    const port = await closedPort();
    const r = board.eval(`(function () {
      var seen = [];
      try {
        require("net").connect({ host: "127.0.0.1", port: ${port} }, function () { seen.push("connected"); });
        seen.push("returned");
      } catch (e) { seen.push("threw " + e.message + " " + (e instanceof Error)); }
      return seen.join();
    })()`);
    expect(r).toBe("threw Unable to create socket false");
  });

  it("throws 'Not connected to the internet' while WiFi is down", async () => {
    board = await bootFixture("map"); // never joins WiFi
    expect(() => board!.eval('require("tls").connect({ host: "127.0.0.1", port: 465 })')).toThrow(expect.objectContaining({ message: "Not connected to the internet" }));
  });

  it("refuses hosts other than 127.0.0.1 unless real sending was asked for", async () => {
    board = await bootFixture("wifi-up");
    await board.waitForOutput(/fixture: online/, 5000);
    expect(() => board!.eval('require("net").connect({ host: "smtp.example.com", port: 465 })')).toThrow(expect.objectContaining({ message: "Unable to locate host" }));
  });
});

describe("Storage", () => {
  it("refuses names over 28 characters and zero-length writes", async () => {
    board = await bootFixture("wifi-up");
    expect(() => board!.eval('require("Storage").write("' + "n".repeat(29) + '", "x")')).toThrow(expect.objectContaining({ message: expect.stringContaining("over 28") }));
    expect(board.eval('require("Storage").write("' + "n".repeat(28) + '", "x")')).toBe(true);
    expect(() => board!.eval('require("Storage").write("empty", "")')).toThrow(expect.objectContaining({ type: "Error", message: "Can't create a zero-length file" }));
    expect(board.eval('require("Storage").read("missing")')).toBeUndefined();
  });
});

describe("regular expressions", () => {
  it("never match when they use syntax the board's engine lacks (trap 2), and work otherwise", async () => {
    board = await bootFixture("wifi-up");
    const ev = (c: string) => board!.eval(c);
    expect(ev(`/^\\d{3}/.test("250 ok")`)).toBe(false);
    expect(ev(`/\\r?\\n/.test("a\\nb")`)).toBe(false);
    expect(ev(`"l1\\r\\nl2".split(/\\r?\\n/).length`)).toBe(1);
    expect(ev(`"a\\n.b".replace(/^\\./gm, "..")`)).toBe("a\n.b");
    expect(ev(`/(?:a)/.test("a") || /a(?=b)/.test("ab") || /\\bx/.test("x") || /(ab)+/.test("ab")`)).toBe(false);
    expect(ev(`/^(\\d\\d\\d)([ -])(.*)$/.exec("250-PIPELINING")[1]`)).toBe("250");
    expect(ev(`"a\\nb\\n".replace(/\\n/g, "\\r\\n")`)).toBe("a\r\nb\r\n");
    expect(ev(`/[?{]/.test("?")`)).toBe(true);
    expect(() => ev(`/(a)\\1/.test("aa")`)).toThrow(/Backreferences not supported/);
  });

  it('match "\\n" with "." like the board, in test, exec, replace, split and global loops', async () => {
    board = await bootFixture("wifi-up");
    const ev = (c: string) => board!.eval(c);
    expect(ev(`/a.b/.test("a\\nb")`)).toBe(true);
    expect(ev(`/^(.*)$/.exec("x\\ny")[1]`)).toBe("x\ny");
    expect(ev(`"1\\n2;3\\n4".replace(/.;./g, "|")`)).toBe("1\n|\n4");
    expect(ev(`"a\\nb".split(/./).length`)).toBe(4);
    expect(ev(`var re = /o./g, n = 0; while (re.exec("o\\no\\no!")) n++; n`)).toBe(3);
    // Escaped or in a class, "." is a plain dot.
    expect(ev(`/a\\.b/.test("a\\nb") || /a[.]b/.test("a\\nb")`)).toBe(false);
    expect(ev(`/a\\.b/.test("a.b")`)).toBe(true);
  });
});
