// What the simulator makes V8 do like Espruino 2v29 by rewriting the code it runs (host-sim/espruino-rewrite.ts):
// no hoisting of functions or vars (trap 3), one binding per loop instead of one per iteration (trap 4),
// `arr.length = n` throwing (row 247). Errors are still located through the bundle's source map.
import { readFileSync } from "node:fs";
import { parse } from "acorn";
import { fullAncestor } from "acorn-walk";
import { afterEach, describe, expect, it } from "vitest";
import { LENGTH_GUARD, rewriteForEspruino as rewriteScoping } from "../../host-sim/espruino-rewrite.ts";
import type { SimBoard } from "../../host-sim/board.ts";
import { APP_JS } from "../../tools/build.ts";
import { bootFixture } from "./helpers.ts";

let board: SimBoard | undefined;
afterEach(() => board?.stop());

describe("no hoisting (trap 3)", () => {
  it("calling a function before its declaration has run throws ReferenceError, located in the source", async () => {
    board = await bootFixture("no-hoisting", { case: "function" });
    await board.waitForOutput(/^fixture: start ok$/, 5000);
    await board.waitForOutput(/^Uncaught ReferenceError: /, 5000);
    const at = await board.waitForOutput(/^sim: uncaught error at /, 5000);
    expect(at).toMatch(/test\/sim\/fixtures\/no-hoisting\.js:11:\d+/);
    expect(board.output.some((l) => l.startsWith("fixture: early") || l.startsWith("fixture: end"))).toBe(false);
  });

  it("reading a var before its declaration has run throws ReferenceError", async () => {
    board = await bootFixture("no-hoisting", { case: "var" });
    await board.waitForOutput(/^Uncaught ReferenceError: /, 5000);
    const at = await board.waitForOutput(/^sim: uncaught error at /, 5000);
    expect(at).toMatch(/test\/sim\/fixtures\/no-hoisting\.js:5:\d+/);
    expect(board.output.some((l) => l.startsWith("fixture: limit"))).toBe(false);
  });

  it("code that declares before use runs as before, recursion included", async () => {
    board = await bootFixture("no-hoisting", { case: "none" });
    await board.waitForOutput(/^fixture: end hoisted 54$/, 5000);
    expect(board.output).toContain("fixture: start ok");
    expect(board.errors).toEqual([]);
  });

  it("console input gets the same treatment; its functions stay properties of the global object", async () => {
    board = await bootFixture("no-hoisting");
    // Script-level functions become `var later=function…`: called early it is still undefined.
    let thrown: { constructor: { name: string }; message: string } | undefined;
    try {
      board.eval("later(); function later() { return 1; }");
    } catch (e) {
      thrown = e as typeof thrown;
    }
    expect([thrown?.constructor.name, thrown?.message]).toEqual(["TypeError", "later is not a function"]);
    expect(board.eval("function sum(a, b) { return a + b; } sum(2, 3)")).toBe(5);
    expect(board.eval("typeof global.sum")).toBe("function");
    expect(board.eval("function sum(a) { return a; } sum(7)")).toBe(7);
  });
});

describe("no per-iteration binding (trap 4)", () => {
  it("closures made in for (let…), for (const…of) and for (const…in) all see the last value; forEach keeps each", async () => {
    board = await bootFixture("loop-closures");
    await board.waitForOutput(/^fixture: forEach /, 5000);
    expect(board.output.filter((l) => l.startsWith("fixture: "))).toEqual([
      "fixture: let 3,3,3",
      "fixture: of c,c,c",
      "fixture: in q,q",
      "fixture: forEach a,b",
    ]);
    expect(board.errors).toEqual([]);
  });
});

describe("writing an array's length (row 247)", () => {
  it("throws TypeError like the board, located in the source; splice and an object's own length work", async () => {
    board = await bootFixture("array-length", { case: "write" });
    await board.waitForOutput(/^fixture: object length 5$/, 5000);
    expect(board.output).toContain("fixture: spliced 1");
    await board.waitForOutput(/^Uncaught TypeError: Assignment to a constant$/, 5000);
    const at = await board.waitForOutput(/^sim: uncaught error at /, 5000);
    expect(at).toMatch(/test\/sim\/fixtures\/array-length\.js:10:\d+/);
    expect(board.output.some((l) => l.startsWith("fixture: after"))).toBe(false);
  });

  it("refuses every kind of length write on the console, and reading lengths still works", async () => {
    board = await bootFixture("array-length");
    await board.waitForOutput(/^fixture: after 1$/, 5000);
    board.eval("var xs = [1, 2, 3]");
    for (const write of ["xs.length = 1", "xs.length++", "xs.length -= 1", 'xs["length"] = 0', "(0, xs).length = 0"]) {
      expect(() => board!.eval(write), write).toThrow(/Assignment to a constant/);
    }
    expect(board.eval('xs.length + "ab".length + [].length')).toBe(5);
    expect(board.eval("var f = {length: 1}; f.length += 1; f.length")).toBe(2);
  });
});

describe("the rewrite", () => {
  const cases: [string, string][] = [
    ['"use strict";(()=>{f();function f(){}})()', '"use strict";(()=>{f();let f=function f(){};})()'],
    ["(function(){var a=1;for(let i=0,j;i<a;i++)g(i)})", "(function(){let a=1;{let i,j;for(    i=0,j;i<a;i++)g(i)}})"],
    ["(function(){for(const x of a)g(x);for(const k in o)g(k)})", "(function(){{let x;for(      x of a)g(x);}{let k;for(      k in o)g(k)}})"],
    // Script level: var, so the global object keeps the property (and console input may repeat it).
    ["function top(){}", "var top=function top(){};"],
    ["a.b.length=0;(x,y).length++", "__simLength((a.b)).length=0;(__simLength((x,y))).length++"],
  ];
  it.each(cases)("rewrites %s", (src, out) => {
    expect(rewriteScoping(src).code).toBe(out);
  });

  const untouched: [string, string][] = [
    [
      "(function(){function q(a){function a(){}var b;var b;function c(){}function c(){}}})",
      "(function(){let q=function q(a){function a(){}var b;var b;function c(){}function c(){}};})",
    ],
    ["(function(){if(x){function h(){}}h()})", "(function(){if(x){function h(){}}h()})"],
    ["(function(){var v;{var v}})", "(function(){var v;{var v}})"],
  ];
  it.each(untouched)("leaves what a let would make a SyntaxError, and sloppy block functions: %s", (src, out) => {
    expect(rewriteScoping(src).code).toBe(out);
  });

  it("keeps every line of the firmware bundle and maps each position back to where it was", () => {
    const src = readFileSync(APP_JS, "latin1");
    const r = rewriteScoping(src);
    expect(r.edits).toBeGreaterThan(50);
    expect(r.code.split("\n").length).toBe(src.split("\n").length);
    const lines = src.split("\n");
    let checked = 0;
    const wrong: string[] = [];
    fullAncestor(parse(r.code, { ecmaVersion: "latest", locations: true }), (n: any, _s, ancestors: any[], type) => {
      if (type !== "Identifier" && type !== "MemberExpression" && type !== "CallExpression") return;
      if (type === "Identifier" && n.name === LENGTH_GUARD) return; // the .length guard is new text too
      if (type === "CallExpression" && n.callee.name === LENGTH_GUARD) return;
      const parent = ancestors[ancestors.length - 2];
      if (parent?.type === "VariableDeclarator" && parent.id === n) return; // the names a rewrite declares are new text
      const text = type === "Identifier" ? n.name : r.code.slice(n.start, n.end).split("\n")[0]!.slice(0, 12);
      const o = r.original(n.loc.start.line, n.loc.start.column + 1);
      checked++;
      if (lines[o.line - 1]!.slice(o.column - 1, o.column - 1 + text.length) !== text) wrong.push(`${text} at ${o.line}:${o.column}`);
    });
    expect(checked).toBeGreaterThan(1000);
    expect(wrong).toEqual([]);
  });
});
