// Rewrites code so V8 runs it the way Espruino 2v29 does where no global can make it (docs/espruino.md
// §1): no hoisting (trap 3: a function or `var` used before its declaration has run throws), no
// per-iteration binding (trap 4: closures made in `for (let …)`, `for (const x of …)`,
// `for (const k in …)` all see the last value), and `arr.length = n` throwing. Every edit stays on its
// line and a position map gives back the original line and column, so stack traces still resolve
// through the bundle's source map.
//   function f(){…}          → let f=function f(){…};   (var f=… at script level: global property)
//   var a=1,b;  (function body, declared once)  → let a=1,b;
//   for(let i=0,j;…)B         → {let i,j;for(    i=0,j;…)B}
//   for(const x of a)B        → {let x;for(      x of a)B}
//   a.length=n, a.length++    → __simLength((a)).length=n  (throws "Assignment to a constant" for an array)
//   class B extends A{}       → class B extends A{};__simStatics(B);  (static methods are not inherited)
//   eval(code)                → eval(__simEval((code)))  (still a direct eval; the code gets all of this too)
//   "\u20AC"                  → "\u00AC"  (strings are bytes: an escape keeps its low 8 bits, trap 7)
import { parse, type Node } from "acorn";

type AnyNode = Node & Record<string, any>;

/** The realm's global that refuses writing the length of an array (realm.ts defines it). */
export const LENGTH_GUARD = "__simLength";
/** The realm's global that hides a class's inherited static members (realm.ts defines it). */
export const STATICS_GUARD = "__simStatics";
/** The realm's global that checks and rewrites code handed to eval (realm.ts defines it). */
export const EVAL_GUARD = "__simEval";

export interface EspruinoRewrite {
  code: string;
  /** The original (line, column) of a (line, column) in `code`; both 1-based, as in V8 stack traces. */
  original(line: number, column: number): { line: number; column: number };
  /** Edits made (0 = code unchanged). */
  edits: number;
}

interface Insertion {
  at: number;
  text: string;
  /** At the same offset, closers (0) go before openers (1). */
  order: 0 | 1;
}

const FUNCTION_TYPES = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

function isNode(v: unknown): v is AnyNode {
  return !!v && typeof v === "object" && typeof (v as { type?: unknown }).type === "string";
}

function childNodes(n: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const key of Object.keys(n)) {
    if (key === "loc" || key === "range") continue;
    const v = n[key];
    if (Array.isArray(v)) {
      for (const x of v) if (isNode(x)) out.push(x);
    } else if (isNode(v)) out.push(v);
  }
  return out;
}

/** Identifiers bound by a parameter or declarator target (patterns are refused elsewhere; be thorough anyway). */
function boundNames(p: AnyNode | null | undefined, into: string[] = []): string[] {
  if (!p) return into;
  if (p.type === "Identifier") into.push(p.name);
  else if (p.type === "AssignmentPattern") boundNames(p.left, into);
  else if (p.type === "RestElement") boundNames(p.argument, into);
  else if (p.type === "ArrayPattern") for (const e of p.elements) boundNames(e, into);
  else if (p.type === "ObjectPattern") for (const pr of p.properties) boundNames(pr.type === "RestElement" ? pr : pr.value, into);
  return into;
}

interface FnScope {
  params: Set<string>;
  /** Names declared with `var` anywhere in the function (not in nested functions), with their counts. */
  vars: Map<string, number>;
  /** Function declarations directly in the body, with their counts. */
  topFunctions: Map<string, number>;
  /** Strict-mode code: a function declared in a block is scoped to the block (sloppy code also gets a var). */
  strict: boolean;
}

function count(m: Map<string, number>, k: string) {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** Collects a function's var names without entering nested functions. */
function collectVars(n: AnyNode, vars: Map<string, number>) {
  if (n.type === "VariableDeclaration" && n.kind === "var") for (const d of n.declarations) boundNames(d.id).forEach((x) => count(vars, x));
  for (const c of childNodes(n)) if (!FUNCTION_TYPES.has(c.type)) collectVars(c, vars);
}

function scopeOf(fn: AnyNode, body: AnyNode[], outerStrict: boolean): FnScope {
  const params = new Set<string>();
  for (const p of fn.params ?? []) boundNames(p).forEach((x) => params.add(x));
  const vars = new Map<string, number>();
  for (const s of body) if (!FUNCTION_TYPES.has(s.type)) collectVars(s, vars);
  const topFunctions = new Map<string, number>();
  for (const s of body) if (s.type === "FunctionDeclaration" && s.id) count(topFunctions, s.id.name);
  let strict = outerStrict;
  for (const s of body) {
    if (typeof s.directive !== "string") break;
    if (s.directive === "use strict") strict = true;
  }
  return { params, vars, topFunctions, strict };
}

/** Offsets where each line starts. */
function lineStarts(s: string): number[] {
  const out = [0];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || (c === 13 && s.charCodeAt(i + 1) !== 10) || c === 0x2028 || c === 0x2029) out.push(i + 1);
  }
  return out;
}

/** Rewrites `code` (a script); code acorn cannot parse comes back unchanged (the syntax gate reports it). */
export function rewriteForEspruino(code: string): EspruinoRewrite {
  let ast: AnyNode;
  try {
    ast = parse(code, { ecmaVersion: "latest", sourceType: "script", allowHashBang: true }) as AnyNode;
  } catch {
    return { code, original: (line, column) => ({ line, column }), edits: 0 };
  }
  const inserts: Insertion[] = [];
  /** Same-length replacements: [offset, text]. */
  const replaces: [number, string][] = [];

  const fnDecl = (f: AnyNode, keyword: "let" | "var") => {
    inserts.push({ at: f.start, text: `${keyword} ${f.id.name}=`, order: 1 });
    inserts.push({ at: f.end, text: ";", order: 0 });
  };

  /** Walks the tree; `fn` is the enclosing function's scope. */
  const visit = (n: AnyNode, fn: FnScope): void => {
    if (n.type === "Program" || FUNCTION_TYPES.has(n.type)) {
      const body: AnyNode[] = n.type === "Program" ? n.body : n.body.type === "BlockStatement" ? n.body.body : [];
      const scope = scopeOf(n, body, fn.strict);
      if (n.type !== "Program") {
        for (const p of n.params) visit(p, scope);
        if (n.body.type !== "BlockStatement") return visit(n.body, scope);
      }
      for (const s of body) statement(s, scope, n.type === "Program" ? "program" : "function");
      return;
    }
    if (n.type === "BlockStatement") {
      const names = blockFunctionNames(n.body);
      for (const s of n.body) statement(s, fn, "block", names);
      return;
    }
    if (n.type === "SwitchStatement") {
      visit(n.discriminant, fn);
      const all: AnyNode[] = n.cases.flatMap((c: AnyNode) => c.consequent);
      const names = blockFunctionNames(all);
      for (const c of n.cases) {
        if (c.test) visit(c.test, fn);
        for (const s of c.consequent) statement(s, fn, "block", names);
      }
      return;
    }
    if (n.type === "ForStatement" && n.init?.type === "VariableDeclaration" && n.init.kind !== "var") loopBinding(n, n.init);
    if ((n.type === "ForInStatement" || n.type === "ForOfStatement") && n.left.type === "VariableDeclaration" && n.left.kind !== "var") loopBinding(n, n.left);
    if (n.type === "AssignmentExpression") lengthWrite(n.left);
    if (n.type === "UpdateExpression") lengthWrite(n.argument);
    if ((n.type === "ClassDeclaration" || n.type === "ClassExpression") && n.superClass) noInheritedStatics(n);
    if (n.type === "CallExpression" && n.callee.type === "Identifier" && n.callee.name === "eval" && n.arguments.length) {
      inserts.push({ at: n.arguments[0].start, text: `${EVAL_GUARD}((`, order: 1 });
      inserts.push({ at: n.arguments[0].end, text: "))", order: 0 });
    }
    if ((n.type === "Literal" && typeof n.value === "string") || n.type === "TemplateElement") byteEscapes(n);
    for (const c of childNodes(n)) visit(c, fn);
  };

  const blockFunctionNames = (list: AnyNode[]) => {
    const m = new Map<string, number>();
    for (const s of list) if (s.type === "FunctionDeclaration" && s.id) count(m, s.id.name);
    return m;
  };

  /** A statement directly in a statement list: where declarations may become `let`. */
  const statement = (s: AnyNode, fn: FnScope, where: "program" | "function" | "block", blockFns?: Map<string, number>) => {
    if (s.type === "FunctionDeclaration" && s.id && !s.async && !s.generator) {
      const name: string = s.id.name;
      if (where === "program") fnDecl(s, "var");
      else if (where === "function") {
        if (!fn.params.has(name) && !fn.vars.has(name) && fn.topFunctions.get(name) === 1 && name !== "arguments") fnDecl(s, "let");
      } else if (fn.strict && !fn.vars.has(name) && blockFns?.get(name) === 1) fnDecl(s, "let");
    } else if (s.type === "VariableDeclaration" && s.kind === "var" && where === "function") {
      const names = s.declarations.map((d: AnyNode) => (d.id.type === "Identifier" ? d.id.name : null));
      const safe = names.every(
        (x: string | null) => x !== null && x !== "arguments" && fn.vars.get(x) === 1 && !fn.params.has(x) && !fn.topFunctions.has(x),
      );
      if (safe && code.slice(s.start, s.start + 3) === "var") replaces.push([s.start, "let"]);
    }
    visit(s, fn);
  };

  /** One binding for the whole loop, declared in a block around it; the keyword in the head becomes spaces. */
  const loopBinding = (loop: AnyNode, decl: AnyNode) => {
    const names: string[] = decl.declarations.flatMap((d: AnyNode) => boundNames(d.id));
    if (!names.length || code.slice(decl.start, decl.start + decl.kind.length) !== decl.kind) return;
    inserts.push({ at: loop.start, text: `{let ${names.join(",")};`, order: 1 });
    replaces.push([decl.start, " ".repeat(decl.kind.length)]);
    inserts.push({ at: loop.end, text: "}", order: 0 });
  };

  /** `x.length` as an assignment target: x goes through the guard, which throws for an array. */
  const lengthWrite = (target: AnyNode) => {
    if (target.type !== "MemberExpression" || target.object.type === "Super") return;
    const p = target.property;
    const isLength = target.computed ? p.type === "Literal" && p.value === "length" : p.type === "Identifier" && p.name === "length";
    if (!isLength) return;
    // Double parentheses: a parenthesised comma expression stays one argument.
    inserts.push({ at: target.object.start, text: `${LENGTH_GUARD}((`, order: 1 });
    inserts.push({ at: target.object.end, text: "))", order: 0 });
  };

  /** Static members come from the class itself only (espruino.md §1): B.s of a subclass is undefined. */
  const noInheritedStatics = (c: AnyNode) => {
    if (c.type === "ClassDeclaration" && c.id) {
      inserts.push({ at: c.end, text: `;${STATICS_GUARD}(${c.id.name});`, order: 0 });
    } else if (c.type === "ClassExpression") {
      inserts.push({ at: c.start, text: `${STATICS_GUARD}((`, order: 1 });
      inserts.push({ at: c.end, text: "))", order: 0 });
    }
  };

  /** \uXXXX in a string or template keeps its low byte, as the board's lexer does: same length, \u00XX. */
  const byteEscapes = (lit: AnyNode) => {
    const text = code.slice(lit.start, lit.end);
    for (let i = text.indexOf("\\"); i >= 0 && i < text.length; i = text.indexOf("\\", i)) {
      const hex = text.slice(i + 2, i + 6);
      if (text[i + 1] === "u" && /^[0-9a-fA-F]{4}$/.test(hex) && !/^00/.test(hex)) {
        const low = (parseInt(hex, 16) & 255).toString(16).toUpperCase().padStart(2, "0");
        replaces.push([lit.start + i + 2, "00" + low]);
      }
      i += 2; // past the escaped character (an escaped backslash included)
    }
  };

  visit(ast, { params: new Set(), vars: new Map(), topFunctions: new Map(), strict: false });
  if (!inserts.length && !replaces.length) return { code, original: (line, column) => ({ line, column }), edits: 0 };

  let chars = code.split("");
  for (const [at, text] of replaces) for (let i = 0; i < text.length; i++) chars[at + i] = text[i]!;
  const base = chars.join("");
  chars = [];
  // Stable sort: by offset, closers first; openers at one offset keep source order (outer first).
  const sorted = inserts.map((x, i) => ({ ...x, i })).sort((a, b) => a.at - b.at || a.order - b.order || a.i - b.i);
  const pieces: string[] = [];
  let from = 0;
  for (const ins of sorted) {
    pieces.push(base.slice(from, ins.at), ins.text);
    from = ins.at;
  }
  pieces.push(base.slice(from));
  const out = pieces.join("");

  const newStarts = lineStarts(out);
  const oldStarts = lineStarts(code);
  const toOriginalOffset = (n: number): number => {
    let shift = 0;
    for (const ins of sorted) {
      const start = ins.at + shift;
      if (n < start) break;
      if (n < start + ins.text.length) return ins.at;
      shift += ins.text.length;
    }
    return n - shift;
  };
  return {
    code: out,
    edits: sorted.length + replaces.length,
    original(line, column) {
      const ls = newStarts[line - 1];
      if (ls === undefined) return { line, column };
      const o = toOriginalOffset(ls + column - 1);
      // Insertions hold no line breaks, so the line stays; find it anyway from the offset.
      let l = line - 1;
      while (l > 0 && oldStarts[l]! > o) l--;
      while (l + 1 < oldStarts.length && oldStarts[l + 1]! <= o) l++;
      return { line: l + 1, column: o - oldStarts[l]! + 1 };
    },
  };
}
