// Issue 18: what the simulator answers where the board's answer differs from Node's, typed at the
// simulator's telnet console (console-server.ts on a booted SimBoard), run in the realm, and run as
// code loaded from Storage. Every expected value is the real interpreter's answer (Espruino 2v29 built
// for Linux in the ESP32's variable format, probed over its telnet console on 2026-12-03; the same
// facts are in host-sim/README.md): the board is the oracle, not Node.
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { SimBoard } from "../../host-sim/board.ts";
import { createSimBoard } from "../../host-sim/board.ts";
import { startConsoleServer, type ConsoleServer } from "../../host-sim/console-server.ts";
import { createRealm } from "../../host-sim/realm.ts";
import { bootFixture, makeStorage, until } from "./helpers.ts";

let board: SimBoard | undefined;
let server: ConsoleServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  board?.stop();
  board = undefined;
});

/** The simulator's console on a booted board (WiFi-up fixture), one telnet client. */
async function console_() {
  board = await bootFixture("wifi-up");
  await board.waitForOutput(/^fixture: online$/, 5000);
  server = await startConsoleServer(board);
  const sock: Socket = await new Promise((resolve) => {
    const s = connect(server!.port, "127.0.0.1", () => resolve(s));
  });
  let received = "";
  sock.on("data", (d) => (received += d.toString("latin1")));
  return {
    /** Types `text` (latin1 bytes, as a terminal sends them) and returns what came back once it ends with `tail`. */
    async type(text: string, tail: string): Promise<string> {
      sock.write(Buffer.from(text, "latin1"));
      await until(() => received.endsWith(tail), 10000, `console output ending ${JSON.stringify(tail)}; got ${JSON.stringify(received)}`);
      const r = received;
      received = "";
      return r;
    },
  };
}

const realm = () => createRealm({ now: () => 0, defer: () => {}, call: (f, a) => void f(...a) });

/** Code loaded from Storage as .bootcde (the way the bundle runs); resolves with its "answer:" lines. */
async function fromStorage(code: string, lines: number): Promise<string[]> {
  board = createSimBoard({ storageDir: makeStorage({ ".bootcde": code }) });
  board.boot();
  await until(() => board!.output.filter((l) => l.startsWith("answer: ")).length >= lines, 5000, `${lines} answer lines`);
  expect(board.errors).toEqual([]);
  return board.output.filter((l) => l.startsWith("answer: "));
}

describe('1. "abc".match(/x/g) is [] (truthy) on the board, null only without g', () => {
  it("at the console", async () => {
    const c = await console_();
    // Board: ="truthy", =0, =null
    expect(await c.type('"abc".match(/x/g) ? "truthy" : "falsy"\r\n', ">")).toBe('"abc".match(/x/g) ? "truthy" : "falsy"\r\n="truthy"\r\n>');
    expect(await c.type('"abc".match(/x/g).length\r\n', ">")).toBe('"abc".match(/x/g).length\r\n=0\r\n>');
    expect(await c.type('"abc".match(/x/)\r\n', ">")).toBe('"abc".match(/x/)\r\n=null\r\n>');
  });

  it("in the realm, and in code run from Storage", async () => {
    expect(realm().run('var m = "abc".match(/x/g); [m ? "truthy" : "falsy", m.length, Array.isArray(m), "abcb".match(/b/g).join()].join()', "console")).toBe("truthy,0,true,b,b");
    expect(realm().run('"abc".match(/x/)', "console")).toBe(null);
    expect(await fromStorage('var m = "abc".match(/x/g); console.log("answer: " + (m ? "truthy " : "falsy ") + m.length);', 1)).toEqual(["answer: truthy 0"]);
  });

  it("in the bundle as esbuild builds the firmware", async () => {
    board = await bootFixture("board-answers");
    await board.waitForOutput(/^answer: done$/, 5000);
    expect(board.output.filter((l) => l.startsWith("answer: "))).toEqual(["answer: match truthy 0", "answer: static undefined function 2", "answer: done"]);
  });
});

describe("2. static methods are not inherited by a subclass", () => {
  it("at the console", async () => {
    const c = await console_();
    // Board: ="undefined"
    expect(await c.type("class A { static s() {} }; class B extends A {}; typeof B.s\r\n", ">")).toBe(
      'class A { static s() {} }; class B extends A {}; typeof B.s\r\n="undefined"\r\n>',
    );
  });

  it("in the realm and from Storage, while super() and the subclass's own statics still work", async () => {
    const code = "class A { static s() { return 1; } } class B extends A { constructor() { super(); this.v = 2; } static t() { return 7; } }";
    // Board: undefined function 2 function (B.s hidden, B.t own, super() ran, A.s kept)
    const r = realm();
    expect(r.run(`${code}; [typeof B.s, typeof B.t, new B().v, typeof A.s].join(" ")`, "console")).toBe("undefined function 2 function");
    expect(r.run("var C = class extends A {}; typeof C.s", "console")).toBe("undefined");
    expect(await fromStorage(`${code}\nconsole.log("answer: " + typeof B.s + " " + B.t());`, 1)).toEqual(["answer: undefined 7"]);
  });
});

describe("3. no hoisting in code typed at the console or handed to eval", () => {
  it("at the console: a function declared after its use inside a function throws ReferenceError", async () => {
    const c = await console_();
    expect(await c.type("function f(){ return g(); function g(){ return 1; } }\r\n", ">")).toMatch(/^function f\(\)\{ return g\(\); function g\(\)\{ return 1; \} \}\r\n=/);
    // Board: Uncaught ReferenceError: "g" is not defined (then its stack lines)
    expect((await c.type("f()\r\n", ">")).split("\r\n").slice(0, 2)).toEqual(["f()", 'Uncaught ReferenceError: "g" is not defined']);
    // Board: Uncaught ReferenceError: "h" is not defined
    expect((await c.type('eval("(function(){ return h(); function h(){ return 3; } })()")\r\n', ">")).split("\r\n")[1]).toBe('Uncaught ReferenceError: "h" is not defined');
  });

  it("in eval'd code in the realm and from Storage; a direct eval still sees the caller's variables", async () => {
    const r = realm();
    expect(() => r.run('eval("(function(){ return h(); function h(){ return 3; } })()")', "console")).toThrow(expect.objectContaining({ message: "Cannot access 'h' before initialization" }));
    // Board: 6 (eval inside a function reads its locals)
    expect(r.run('(function () { var loc = 5; return eval("loc + 1"); })()', "console")).toBe(6);
    expect(() => r.run('eval("async function q() {}")', "console")).toThrow(expect.objectContaining({ message: "async functions (Espruino 2v29 cannot run it) at eval:1:1" }));
    const code = 'try { eval("(function(){ return h(); function h(){ return 3; } })()"); console.log("answer: hoisted"); } catch (e) { console.log("answer: " + (e instanceof ReferenceError)); }';
    expect(await fromStorage(code, 1)).toEqual(["answer: true"]);
  });
});

describe("4. strings are bytes: '\\u20AC' is one character, code 172", () => {
  it("at the console", async () => {
    const c = await console_();
    // Board: =172, =1, ="\xAC"
    expect(await c.type("'\\u20AC'.charCodeAt(0)\r\n", ">")).toBe("'\\u20AC'.charCodeAt(0)\r\n=172\r\n>");
    expect(await c.type("'\\u20AC'.length\r\n", ">")).toBe("'\\u20AC'.length\r\n=1\r\n>");
    expect(await c.type("'\\u20AC'\r\n", ">")).toBe("'\\u20AC'\r\n=\"\\xAC\"\r\n>");
    // Typed UTF-8 stays bytes: "é" is C3 A9. Board: ="\xC3\xA9"
    expect(await c.type('"\xc3\xa9"\r\n', ">")).toBe('"\xc3\xa9"\r\n="\\xC3\\xA9"\r\n>');
  });

  it("in the realm (strings, templates, eval) and from Storage", async () => {
    expect(realm().run("['\\u20AC'.charCodeAt(0), `\\u20AC`.charCodeAt(0), eval(\"'\\\\u20AC'\").charCodeAt(0), '\\\\u20AC'.length].join()", "console")).toBe("172,172,172,6");
    expect(await fromStorage("console.log('answer: ' + '\\u20AC'.length + ' ' + '\\u20AC'.charCodeAt(0));", 1)).toEqual(["answer: 1 172"]);
  });
});

describe("5. echo(0) turns the console's echo off", () => {
  it("no echo, no =result, no prompt until echo(1); errors and printed lines still show", async () => {
    const c = await console_();
    // Board, byte for byte: the echo(0) line itself is echoed, then nothing but what code prints.
    expect(await c.type("echo(0)\r\n", "echo(0)\r\n")).toBe("echo(0)\r\n");
    expect(await c.type('1+2\r\nprint("mark")\r\n', "mark\r\n")).toBe("mark\r\n");
    // Board: this line, then its stack lines (at REPL (:1:1), the code, a caret), which the simulator does not print.
    expect(await c.type("x\r\n", "\r\n")).toBe('Uncaught ReferenceError: "x" is not defined\r\n');
    expect(await c.type("echo(1)\r\n", ">")).toBe("=undefined\r\n>");
    expect(await c.type("3+4\r\n", ">")).toBe("3+4\r\n=7\r\n>");
  });
});
