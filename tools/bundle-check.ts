// Checks the built bundle for what esbuild lets through but Espruino 2v29 cannot run (shared/espruino.md §1),
// naming each rule's probe row in shared/espruino-features.txt and each hit's original source line.
// CLI: `tsx tools/bundle-check.ts [firmware/app.js]` (reads the .map beside it).
import { parse, type Node } from "acorn";
import { ancestor, simple } from "acorn-walk";
import { existsSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SourceMapConsumer, type RawSourceMap } from "source-map-js";
import { REGEX_RULES, regexProblems } from "./bundle-regex.ts";
import { declaringScope, isDeclared } from "./bundle-scope.ts";

/** Espruino's built-in modules: the only require() calls allowed to remain (shared/espruino.md §6). */
export const BUILTIN_MODULES = ["net", "tls", "Wifi", "Storage", "ESP32", "crypto"];

export interface BundleHit {
  /** Rule id, e.g. "global-Map" or "regex-optional". */
  rule: string;
  /** What was found and why it fails on the board. */
  message: string;
  /** Where in shared/espruino-features.txt it was measured ("row 117"), or "no probe row". */
  rows: string;
  /** Position in the bundle: line 1-based, column 1-based. */
  line: number;
  column: number;
  /** The bundle's (minified) name the message quotes, replaced by the original name from the source map. */
  minifiedName?: string;
  /** Original position from the source map (file relative to `root`), when there is one. */
  source?: { file: string; line: number; column: number };
}

export interface CheckOptions {
  /** The external source map (JSON text or object). */
  map?: string | RawSourceMap;
  /** Directory the map's `sources` are relative to (the bundle's folder). */
  mapDir?: string;
  /** Source files are reported relative to this folder (default: the repo root). */
  root?: string;
  /** Filled with the hits a `bundle-check-ok: <rule>` comment allows (they are not returned). */
  allowed?: BundleHit[];
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Globals the board does not have: name -> probe rows. */
const MISSING_GLOBALS: Record<string, string> = {
  Map: "rows 117-120",
  Set: "row 121",
  WeakMap: "row 122",
  WeakSet: "row 123",
  Symbol: "rows 125, 126",
  Proxy: "row 127",
  Reflect: "row 128",
  Buffer: "no probe row (shared/espruino.md §5)",
  TextEncoder: "row 408",
  TextDecoder: "row 409",
  queueMicrotask: "row 447",
  setImmediate: "row 446",
  WeakRef: "row 124",
  BigInt: "row 372",
};

/** Static members of globals the board lacks: "Global.member" -> probe rows. */
const MISSING_STATICS: Record<string, string> = {
  "Promise.race": "row 137",
  "Promise.allSettled": "row 138",
  "Promise.any": "row 139",
  "Array.from": "rows 221-223",
  "Array.of": "row 224",
  "Object.freeze": "row 194",
  "Object.seal": "row 196",
  "Object.is": "row 206",
  "process.nextTick": "row 452",
  "String.raw": "row 079",
  "String.fromCodePoint": "row 283",
  "Number.isInteger": "row 361",
  "Number.isNaN": "row 362",
  "Number.isFinite": "row 362",
  "Number.MAX_SAFE_INTEGER": "row 364",
  "Math.trunc": "row 368",
  "Date.UTC": "row 385",
  "Uint8Array.from": "row 406",
};

/** Methods the board lacks, whatever they are called on: name -> probe rows. */
const MISSING_METHODS: Record<string, string> = {
  finally: "row 136 (Promise.prototype.finally)",
  flat: "row 243",
  flatMap: "row 244",
  at: "row 245",
  // Only reported when the argument is not a string literal: `s.lastIndexOf("\n")` is taken to be
  // String.prototype.lastIndexOf, which works (row 256); Array's is missing (row 239).
  lastIndexOf: "row 239 (Array.prototype.lastIndexOf; String's works, row 256)",
  trimStart: "row 260",
  trimEnd: "row 260",
  codePointAt: "row 282",
  matchAll: "row 293",
  localeCompare: "row 291",
  findLast: "row 228",
  findLastIndex: "row 228",
  reduceRight: "row 234",
  copyWithin: "row 250",
  normalize: "row 292",
};

/** Methods that give false positives with a needle of two or more characters (trap 1). */
const PREFIX_TRAP_METHODS: Record<string, string> = {
  indexOf: "rows 253, 254",
  includes: "row 253",
  replace: "row 255",
};

type AnyNode = Node & Record<string, any>;

/** table[key] for own keys only (`toString` or `constructor` must not find Object.prototype's). */
const own = (table: Record<string, string>, key: string): string | undefined => (Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined);

/** `typeof name != "undefined"` (or `=== "function"` / `=== "object"`), possibly inside an `&&` chain. */
function testsFeature(test: AnyNode, name: string): boolean {
  if (test.type === "LogicalExpression" && test.operator === "&&") return testsFeature(test.left, name) || testsFeature(test.right, name);
  if (test.type !== "BinaryExpression") return false;
  const [typeofSide, other] = test.left.type === "UnaryExpression" ? [test.left, test.right] : [test.right, test.left];
  if (typeofSide.type !== "UnaryExpression" || typeofSide.operator !== "typeof") return false;
  if (typeofSide.argument.type !== "Identifier" || typeofSide.argument.name !== name) return false;
  if (other.type !== "Literal" || typeof other.value !== "string") return false;
  if (test.operator === "!=" || test.operator === "!==") return other.value === "undefined";
  // esbuild minifies `typeof X !== "undefined"` to `typeof X < "u"`.
  if (test.operator === "<" && test.left === typeofSide) return other.value === "u";
  if (test.operator === "==" || test.operator === "===") return other.value === "function" || other.value === "object";
  return false;
}

/** True when the reference only runs after its code tested that the global exists (a feature test). */
function isFeatureGuarded(name: string, ancestors: Node[]): boolean {
  for (let i = ancestors.length - 1; i > 0; i--) {
    const child = ancestors[i];
    const p = ancestors[i - 1] as AnyNode;
    if ((p.type === "ConditionalExpression" || p.type === "IfStatement") && child === p.consequent && testsFeature(p.test, name)) return true;
    if (p.type === "LogicalExpression" && p.operator === "&&" && child === p.right && testsFeature(p.left, name)) return true;
  }
  return false;
}

/** The statements a scope node runs in order, for the scopes that can hold function declarations. */
function statementList(scope: AnyNode): AnyNode[] | undefined {
  if (scope.type === "Program" || scope.type === "BlockStatement" || scope.type === "StaticBlock") return scope.body;
  if ((scope.type === "FunctionDeclaration" || scope.type === "FunctionExpression") && scope.body.type === "BlockStatement") return scope.body.body;
  return undefined;
}

const declarationsCache = new WeakMap<AnyNode[], Map<string, { index: number; fn: AnyNode }>>();

/** Function declarations directly in a statement list: name -> its statement index and node. */
function functionDeclarations(list: AnyNode[]) {
  let decls = declarationsCache.get(list);
  if (!decls) {
    decls = new Map();
    list.forEach((st, index) => {
      if (st.type === "FunctionDeclaration" && st.id) decls!.set(st.id.name, { index, fn: st });
    });
    declarationsCache.set(list, decls);
  }
  return decls;
}

const calleesCache = new WeakMap<AnyNode, string[]>();

/** Names from `decls` that `fn` calls when it runs (not from functions nested in it), unless shadowed in `fn`. */
function immediateCallees(fn: AnyNode, decls: Map<string, unknown>): string[] {
  let names = calleesCache.get(fn);
  if (!names) {
    const found = new Set<string>();
    ancestor(fn.body, {
      CallExpression(c: AnyNode, _st: unknown, inner: Node[]) {
        if (c.callee.type !== "Identifier" || !decls.has(c.callee.name)) return;
        if (inner.some((a) => a.type === "FunctionExpression" || a.type === "ArrowFunctionExpression" || a.type === "FunctionDeclaration")) return;
        if (isDeclared(c.callee.name, [fn, ...inner])) return;
        found.add(c.callee.name);
      },
    });
    names = [...found];
    calleesCache.set(fn, names);
  }
  return names;
}

/** Every rule id the check can report (except "parse", for a bundle that does not parse). */
export const RULE_IDS: string[] = [
  "computed-key",
  "private",
  "label",
  "tagged-template",
  ...Object.keys(MISSING_GLOBALS).map((n) => `global-${n}`),
  ...Object.keys(MISSING_STATICS).map((n) => `static-${n}`),
  ...Object.keys(MISSING_METHODS).map((n) => `method-${n}`),
  ...Object.keys(PREFIX_TRAP_METHODS).map((n) => `needle-${n}`),
  "require",
  "new-target",
  "hoisting",
  "loop-closure",
  "entry-exports",
  "arrow-arguments",
  "template-escaped-dollar",
  "json-extra-args",
  "object-create-descriptors",
  "array-iterators",
  "clear-unguarded",
  "extends-Error",
  "length-assign",
  "split-limit",
  "replace-dollar-amp",
  ...REGEX_RULES,
];

/** Every hit in `code`, in bundle order. */
export function checkBundle(code: string, opts: CheckOptions = {}): BundleHit[] {
  const hits: BundleHit[] = [];
  let ast: Node;
  try {
    ast = parse(code, { ecmaVersion: "latest", sourceType: "script", locations: true });
  } catch (e) {
    const err = e as SyntaxError & { loc?: { line: number; column: number } };
    return [{ rule: "parse", message: `the bundle does not parse: ${err.message}`, rows: "no probe row", line: err.loc?.line ?? 1, column: (err.loc?.column ?? 0) + 1 }];
  }
  const at = (node: Node, rule: string, message: string, rows: string, minifiedName?: string) => {
    const loc = node.loc!.start;
    hits.push({ rule, message, rows, line: loc.line, column: loc.column + 1, ...(minifiedName ? { minifiedName } : {}) });
  };
  const isGlobal = (name: string, ancestors: Node[]) => !isDeclared(name, ancestors);
  /** Name of a non-computed (or string-literal computed) member. */
  const memberName = (m: AnyNode): string | null => {
    if (!m.computed && m.property.type === "Identifier") return m.property.name;
    if (m.computed && m.property.type === "Literal" && typeof m.property.value === "string") return m.property.value;
    return null;
  };
  /** The string value of a literal or expression-free template, else null. */
  const stringValue = (n: AnyNode | undefined): string | null => {
    if (!n) return null;
    if (n.type === "Literal" && typeof n.value === "string") return n.value;
    if (n.type === "TemplateLiteral" && n.expressions.length === 0) return n.quasis[0].value.cooked ?? null;
    return null;
  };
  const checkRegex = (node: Node, pattern: string, flags: string) => {
    for (const p of regexProblems(pattern, flags)) {
      at(node, p.rule, `regex /${pattern}/${flags} uses ${p.what}: ${p.effect} (shared/espruino.md trap 2)`, p.rows);
    }
  };

  // esbuild routes `require(…)` in ES modules through its `__require` helper, a variable whose value
  // tests `typeof require`: calls of that variable (in the scope that declares it) are require calls too.
  const loopClosuresSeen = new Set<string>(); // "closure start:variable", one loop-closure hit each
  const requireAliases = new Set<string>(); // "name@start of the declaring scope"
  const aliasKey = (name: string, scope: Node | null) => `${name}@${scope ? scope.start : -1}`;
  ancestor(ast, {
    VariableDeclarator(node: AnyNode, _st: unknown, ancestors: Node[]) {
      if (node.id.type !== "Identifier" || !node.init) return;
      let testsRequire = false;
      simple(node.init, {
        UnaryExpression(u: AnyNode) {
          if (u.operator === "typeof" && u.argument.type === "Identifier" && u.argument.name === "require") testsRequire = true;
        },
      });
      if (testsRequire) requireAliases.add(aliasKey(node.id.name, declaringScope(node.id.name, ancestors)));
    },
  });
  const isRequire = (callee: AnyNode, ancestors: Node[]) =>
    callee.type === "Identifier" &&
    ((callee.name === "require" && isGlobal("require", ancestors)) || requireAliases.has(aliasKey(callee.name, declaringScope(callee.name, ancestors))));

  ancestor(ast, {
    Property(node: AnyNode) {
      if (node.computed) at(node.key, "computed-key", "computed property key `{[k]: v}` is a SyntaxError on the board", "row 170");
    },
    MethodDefinition(node: AnyNode) {
      if (node.computed) at(node.key, "computed-key", "computed class member name `[k]() {}` is a SyntaxError on the board", "row 023");
      if (node.key.type === "PrivateIdentifier") at(node.key, "private", `#private member #${node.key.name} is a SyntaxError on the board`, "row 013");
    },
    PropertyDefinition(node: AnyNode) {
      if (node.computed) at(node.key, "computed-key", "computed class field name is a SyntaxError on the board", "row 023");
      if (node.key.type === "PrivateIdentifier") at(node.key, "private", `#private field #${node.key.name} is a SyntaxError on the board`, "row 013");
    },
    MetaProperty(node: AnyNode) {
      if (node.meta.name === "new") at(node, "new-target", "`new.target` is a SyntaxError on the board", "row 026");
    },
    ClassDeclaration(node: AnyNode, _st: unknown, ancestors: Node[]) {
      extendsError(node, ancestors);
    },
    ClassExpression(node: AnyNode, _st: unknown, ancestors: Node[]) {
      extendsError(node, ancestors);
    },
    AssignmentExpression(node: AnyNode, _st: unknown, ancestors: Node[]) {
      const left = node.left as AnyNode;
      if (left.type === "MemberExpression" && left.object.type === "Identifier" && left.object.name === "module" && memberName(left) === "exports" && isGlobal("module", ancestors)) {
        at(left, "entry-exports", "the bundle assigns module.exports: the firmware entry must not export anything, esbuild's __toCommonJS/__copyProps helpers run wrong on the board (shared/espruino.md trap 8)", "no probe row (shared/espruino.md trap 8; helper rows 474-482)");
      }
      if (node.left.type === "MemberExpression" && memberName(node.left) === "length") {
        at(node.left.property, "length-assign", "assigning `.length` throws on the board for arrays (use splice)", "row 247");
      }
    },
    TemplateLiteral(node: AnyNode) {
      if (node.quasis.some((q: AnyNode) => q.value.raw.includes("\\${"))) {
        at(node, "template-escaped-dollar", "an escaped `\\${` in a template literal is still read as a substitution on the board (build the string with + \"${\")", "row 075");
      }
    },
    LabeledStatement(node: AnyNode) {
      at(node, "label", `label \`${node.label.name}:\` is not supported (break/continue to it throws ReferenceError)`, "rows 110-113");
    },
    TaggedTemplateExpression(node: AnyNode) {
      at(node, "tagged-template", "tagged template literal is a SyntaxError on the board", "rows 078, 480");
    },
    Identifier(node: AnyNode, _st: unknown, ancestors: Node[]) {
      loopClosure(node, ancestors);
      if (node.name === "arguments" && !isDeclared("arguments", ancestors)) {
        const fn = [...ancestors].reverse().find((a) => a.type === "ArrowFunctionExpression" || a.type === "FunctionExpression" || a.type === "FunctionDeclaration");
        if (fn?.type === "ArrowFunctionExpression") at(node, "arrow-arguments", "`arguments` inside an arrow function is undefined on the board (use a function, or name the parameters)", "row 033");
      }
      const rows = own(MISSING_GLOBALS, node.name);
      if (rows === undefined || !isGlobal(node.name, ancestors)) return;
      const parent = ancestors[ancestors.length - 2] as AnyNode | undefined;
      if (parent?.type === "UnaryExpression" && parent.operator === "typeof") return; // a feature test is fine
      if (isFeatureGuarded(node.name, ancestors)) return; // e.g. esbuild's __require: `typeof Proxy<"u"?new Proxy(…):…`
      at(node, `global-${node.name}`, `global \`${node.name}\` does not exist on the board`, rows);
    },
    MemberExpression(node: AnyNode, _st: unknown, ancestors: Node[]) {
      if (node.property.type === "PrivateIdentifier") {
        at(node.property, "private", `#private member access #${node.property.name} is a SyntaxError on the board`, "row 013");
        return;
      }
      const name = memberName(node);
      if (name === null || node.object.type !== "Identifier") return;
      const key = `${node.object.name}.${name}`;
      const rows = own(MISSING_STATICS, key);
      if (rows !== undefined && isGlobal(node.object.name, ancestors)) {
        at(node, `static-${key}`, `\`${key}\` does not exist on the board`, rows);
      }
    },
    BinaryExpression(node: AnyNode) {
      if (node.left.type === "PrivateIdentifier") at(node.left, "private", `\`#${node.left.name} in obj\` is a SyntaxError on the board`, "row 013");
    },
    Literal(node: AnyNode) {
      if (node.regex) checkRegex(node, node.regex.pattern, node.regex.flags);
    },
    NewExpression(node: AnyNode, _st: unknown, ancestors: Node[]) {
      regexConstructor(node, ancestors);
    },
    CallExpression(node: AnyNode, _st: unknown, ancestors: Node[]) {
      regexConstructor(node, ancestors);
      let callee = node.callee as AnyNode;
      if (callee.type === "ChainExpression") callee = callee.expression;
      if (callee.type === "Identifier") callBeforeDeclaration(node, callee.name, ancestors);
      if (callee.type === "Identifier" && (callee.name === "clearTimeout" || callee.name === "clearInterval") && isGlobal(callee.name, ancestors)) {
        clearUnguarded(node, callee.name, ancestors);
      }
      if (isRequire(callee, ancestors)) {
        const mod = stringValue(node.arguments[0]);
        if (mod === null) at(node, "require", "require() of a computed name: the uploader cannot resolve it; only Espruino built-ins may be required", "row 453");
        else if (!BUILTIN_MODULES.includes(mod)) {
          at(node, "require", `require("${mod}") is not an Espruino built-in (${BUILTIN_MODULES.join(", ")}): the board throws "Module not found" and the uploader would try to download it`, "row 453");
        }
        return;
      }
      if (callee.type !== "MemberExpression") return;
      const name = memberName(callee);
      if (name === null) return;
      const missing = own(MISSING_METHODS, name);
      const onString = name === "lastIndexOf" && stringValue(node.arguments[0]) !== null;
      if (missing !== undefined && !onString) at(callee.property, `method-${name}`, `.${name}() does not exist on the board`, missing);
      const receiver = callee.object as AnyNode;
      const onGlobal = (g: string) => receiver.type === "Identifier" && receiver.name === g && isGlobal(g, ancestors);
      if ((name === "stringify" || name === "parse") && node.arguments.length >= 2 && onGlobal("JSON")) {
        at(callee.property, "json-extra-args", `JSON.${name}'s ${name === "parse" ? "reviver is" : "replacer and indent are"} ignored on the board (or formatted differently)`, "rows 340, 345, 346, 347");
      }
      if (name === "create" && node.arguments.length >= 2 && onGlobal("Object")) {
        at(callee.property, "object-create-descriptors", "Object.create(proto, descriptors) throws on the board (\"propertiesObject is not supported yet\")", "row 199");
      }
      if ((name === "keys" || name === "values" || name === "entries") && node.arguments.length === 0 && !onGlobal("Object")) {
        at(callee.property, "array-iterators", `.${name}() iterators do not exist on the board (use forEach or Object.${name}(o))`, "rows 246, 105");
      }
      if (name === "split" && node.arguments.length >= 2) {
        at(callee.property, "split-limit", "split with a limit: the board ignores the limit", "row 266");
      }
      const replacement = stringValue(node.arguments[1]);
      if ((name === "replace" || name === "replaceAll") && replacement !== null && replacement.includes("$&")) {
        at(callee.property, "replace-dollar-amp", "`$&` in a replacement string is written literally on the board (use a function)", "row 273");
      }
      const trap = own(PREFIX_TRAP_METHODS, name);
      const needle = stringValue(node.arguments[0]);
      if (trap !== undefined && needle !== null && Buffer.byteLength(needle, "utf8") >= 2) {
        at(callee.property, `needle-${name}`, `.${name}(${JSON.stringify(needle)}) with a needle of 2+ characters gives false positives on 2v29 when the haystack ends with a prefix of it (shared/espruino.md trap 1): search one character (an Array's ${name} is exact: then mark the line \`// bundle-check-ok: needle-${name}\`)`, trap);
      }
    },
  });

  /** Trap 4: no per-iteration binding; a closure over a `for (let …)` / `for (const … of/in …)` variable sees its last value. */
  function loopClosure(id: AnyNode, ancestors: Node[]) {
    const scope = declaringScope(id.name, ancestors) as AnyNode | null;
    if (!scope || (scope.type !== "ForStatement" && scope.type !== "ForInStatement" && scope.type !== "ForOfStatement")) return;
    const decl = scope.type === "ForStatement" ? scope.init : scope.left;
    if (decl?.type !== "VariableDeclaration" || decl.kind === "var") return;
    const fn = ancestors.slice(ancestors.indexOf(scope) + 1).find((a) => a.type === "FunctionExpression" || a.type === "ArrowFunctionExpression" || a.type === "FunctionDeclaration");
    if (!fn) return;
    const key = `${fn.start}:${id.name}`; // one hit per closure and variable
    if (loopClosuresSeen.has(key)) return;
    loopClosuresSeen.add(key);
    at(id, "loop-closure", `a closure uses loop variable \`${id.name}\` of a \`for (${decl.kind} …)\`: the board has no per-iteration binding, so every closure sees the last value (use forEach; shared/espruino.md trap 4)`, "rows 059, 060, 061, 069", id.name);
  }
  /**
   * Trap 5: `clearTimeout(undefined)` throws. A clear is taken as guarded when an enclosing if / ?: / && / ||
   * or an earlier `if` in the same block tests the same expression (by its text).
   */
  function clearUnguarded(call: AnyNode, name: string, ancestors: Node[]) {
    const arg = call.arguments[0] as AnyNode | undefined;
    if (!arg || arg.type === "Literal") return;
    const text = code.slice(arg.start, arg.end);
    const mentions = (n: AnyNode | null | undefined) => !!n && code.slice(n.start, n.end).includes(text);
    for (let i = ancestors.length - 2; i >= 0; i--) {
      const p = ancestors[i] as AnyNode;
      const child = ancestors[i + 1];
      if ((p.type === "IfStatement" || p.type === "ConditionalExpression") && child !== p.test && mentions(p.test)) return;
      if (p.type === "LogicalExpression" && child === p.right && mentions(p.left)) return;
      const list: AnyNode[] | undefined = p.type === "BlockStatement" || p.type === "Program" ? p.body : undefined;
      if (list) {
        const at0 = list.indexOf(child as AnyNode);
        if (list.slice(0, at0).some((st) => st.type === "IfStatement" && mentions(st.test))) return;
      }
      if (p.type === "FunctionExpression" || p.type === "FunctionDeclaration" || p.type === "ArrowFunctionExpression") break;
    }
    at(call.callee, "clear-unguarded", `\`${name}(${text})\` without a test that ${text} is set: \`${name}(undefined)\` throws on the board (shared/espruino.md trap 5)`, "row 441");
  }

  /** Trap 3: the board does not hoist functions; a call that runs before the declaration throws. */
  function callBeforeDeclaration(call: AnyNode, name: string, ancestors: Node[]) {
    const scope = declaringScope(name, ancestors) as AnyNode | null;
    const list = scope ? statementList(scope) : undefined;
    if (!scope || !list) return;
    const decls = functionDeclarations(list);
    if (!decls.has(name)) return;
    // The statement of `list` that holds the call, provided no function boundary lies in between
    // (a call inside a nested function runs later, when that function is called).
    const at0 = ancestors.indexOf(scope);
    for (let i = ancestors.length - 2; i > at0; i--) {
      const a = ancestors[i] as AnyNode;
      if (a.type === "FunctionDeclaration" || a.type === "FunctionExpression" || a.type === "ArrowFunctionExpression") return;
      const callIndex = list.indexOf(a);
      if (callIndex < 0) continue;
      const late = firstLateFunction(name, decls, callIndex);
      if (late === name) {
        at(call.callee, "hoisting", `\`${name}()\` is called before its function declaration has run: the board does not hoist functions and throws ReferenceError (shared/espruino.md trap 3)`, "rows 050, 051", name);
      } else if (late !== null) {
        at(call.callee, "hoisting", `\`${name}()\` is called before a function it calls at once (\`${late}\` in the bundle) has been declared: the board does not hoist functions and throws ReferenceError (shared/espruino.md trap 3)`, "rows 050, 051", name);
      }
      return;
    }
  }

  /** Of `name` and the same-scope functions it calls at once (transitively), the first declared after statement `index`. */
  function firstLateFunction(name: string, decls: Map<string, { index: number; fn: AnyNode }>, index: number): string | null {
    const queue = [name];
    const seen = new Set(queue);
    while (queue.length) {
      const n = queue.shift()!;
      const d = decls.get(n)!;
      if (d.index > index) return n;
      for (const callee of immediateCallees(d.fn, decls)) {
        if (!seen.has(callee)) {
          seen.add(callee);
          queue.push(callee);
        }
      }
    }
    return null;
  }

  function extendsError(node: AnyNode, ancestors: Node[]) {
    const sup = node.superClass as AnyNode | null;
    if (sup?.type === "Identifier" && /Error$/.test(sup.name) && isGlobal(sup.name, ancestors)) {
      at(sup, "extends-Error", `\`class … extends ${sup.name}\` fails on the board ("Calling 'super' outside of class"): make an Error and set fields on it (shared/espruino.md trap 6)`, "rows 017-019, 433, 434");
    }
  }

  function regexConstructor(node: AnyNode, ancestors: Node[]) {
    // esbuild turns regex literals it considers too new into `new RegExp("…")`: check those too.
    if (node.callee.type !== "Identifier" || node.callee.name !== "RegExp" || !isGlobal("RegExp", ancestors)) return;
    const pattern = stringValue(node.arguments[0]);
    if (pattern === null) return;
    checkRegex(node, pattern, stringValue(node.arguments[1]) ?? "");
  }

  hits.sort((a, b) => a.line - b.line || a.column - b.column);
  if (!opts.map) return hits;
  const allowed = addSources(hits, opts);
  opts.allowed?.push(...hits.filter((h) => allowed.has(h)));
  return hits.filter((h) => !allowed.has(h));
}

/**
 * The escape hatch for what the check cannot tell apart (an Array's `indexOf("PLAIN")` is fine, a
 * string's is the trap): a source comment on the hit's line, or a comment line just above it,
 * `// bundle-check-ok: needle-indexOf (AUTH mechanisms are an array)`, allows the listed rule ids there.
 */
const ALLOW = /bundle-check-ok:\s*([\w.-]+(?:\s*,\s*[\w.-]+)*)/;

function allowedBy(lines: string[], line: number, rule: string): boolean {
  const above = lines[line - 2];
  // The line above counts only when it is a comment of its own (not another statement's trailing comment).
  const candidates = [lines[line - 1], above !== undefined && /^\s*(\/\/|\/\*|\*)/.test(above) ? above : undefined];
  for (const text of candidates) {
    const m = text === undefined ? null : ALLOW.exec(text);
    if (m && m[1].split(",").map((r) => r.trim()).includes(rule)) return true;
  }
  return false;
}

/** Adds each hit's original position; returns the hits a `bundle-check-ok` comment in the source allows. */
function addSources(hits: BundleHit[], opts: CheckOptions): Set<BundleHit> {
  const raw = typeof opts.map === "string" ? (JSON.parse(opts.map) as RawSourceMap) : opts.map!;
  const consumer = new SourceMapConsumer(raw);
  const mapDir = opts.mapDir ?? ROOT;
  const root = opts.root ?? ROOT;
  const allowed = new Set<BundleHit>();
  const sourceLines = new Map<string, string[]>();
  for (const h of hits) {
    const pos = consumer.originalPositionFor({ line: h.line, column: h.column - 1 });
    if (!pos.source || pos.line === null) continue;
    h.source = { file: relative(root, resolve(mapDir, pos.source)), line: pos.line, column: pos.column + 1 };
    // Minified names: say the original one (`e()` in the bundle is `greet()` in the source).
    if (h.minifiedName && pos.name) h.message = h.message.split(`\`${h.minifiedName}`).join(`\`${pos.name}`);
    if (!sourceLines.has(pos.source)) sourceLines.set(pos.source, (consumer.sourceContentFor(pos.source, true) ?? "").split("\n"));
    if (allowedBy(sourceLines.get(pos.source)!, pos.line, h.rule)) allowed.add(h);
  }
  return allowed;
}

/** One line per hit: `bundle:line:col (src/x.ts:line:col): message [espruino-features.txt row N]`. */
export function formatHit(h: BundleHit, bundleName = "firmware/app.js"): string {
  const src = h.source ? ` (${h.source.file}:${h.source.line}:${h.source.column})` : "";
  const rows = h.rows.startsWith("no probe row") ? h.rows : `shared/espruino-features.txt ${h.rows}`;
  return `${bundleName}:${h.line}:${h.column}${src}: ${h.message} [${rows}]`;
}

/** Checks a bundle file, with the source map beside it (`file.map`) when there is one. */
export function checkBundleFile(file: string, root = ROOT): BundleHit[] {
  const code = readFileSync(file, "utf8");
  const mapFile = `${file}.map`;
  const map = existsSync(mapFile) ? readFileSync(mapFile, "utf8") : undefined;
  return checkBundle(code, { map, mapDir: dirname(resolve(file)), root });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const file = resolve(process.argv[2] ?? resolve(ROOT, "firmware", "app.js"));
  const hits = checkBundleFile(file);
  for (const h of hits) console.error(formatHit(h, relative(process.cwd(), file)));
  console.log(`bundle check: ${hits.length} problem(s) in ${relative(process.cwd(), file)}`);
  process.exit(hits.length ? 1 : 0);
}
