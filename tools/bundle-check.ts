// Checks the built bundle for what esbuild lets through but Espruino 2v29 cannot run (docs/espruino.md §1),
// naming each rule's probe row in docs/espruino.md §7 and each hit's original source line.
// CLI: `tsx tools/bundle-check.ts [firmware/app.js]` (reads the .map beside it).
import { parse, type Node } from "acorn";
import { ancestor, simple } from "acorn-walk";
import { existsSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { RawSourceMap } from "source-map-js";
import { isClearGuarded, isFeatureGuarded, loopVariableInClosure, undeclaredAtCall } from "./bundle-flow.ts";
import { REGEX_RULES, regexProblems } from "./bundle-regex.ts";
import { declaringScope, isDeclared } from "./bundle-scope.ts";
import { addSources } from "./bundle-sources.ts";
import { MISSING_GLOBALS, MISSING_METHODS, MISSING_STATICS, own, PREFIX_TRAP_METHODS } from "./bundle-tables.ts";

/** Espruino's built-in modules: the only require() calls allowed to remain (docs/espruino.md §6). */
export const BUILTIN_MODULES = ["net", "tls", "Wifi", "Storage", "ESP32", "crypto", "http"];

export interface BundleHit {
  /** Rule id, e.g. "global-Map" or "regex-optional". */
  rule: string;
  /** What was found and why it fails on the board. */
  message: string;
  /** Where in docs/espruino.md §7 it was measured ("probe 117"), or "no probe". */
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

type AnyNode = Node & Record<string, any>;

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
  "match-g-truthy",
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
    return [{ rule: "parse", message: `the bundle does not parse: ${err.message}`, rows: "no probe", line: err.loc?.line ?? 1, column: (err.loc?.column ?? 0) + 1 }];
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
      at(node, p.rule, `regex /${pattern}/${flags} uses ${p.what}: ${p.effect} (docs/espruino.md trap 2)`, p.rows);
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
      if (node.computed) at(node.key, "computed-key", "computed property key `{[k]: v}` is a SyntaxError on the board", "probe 170");
    },
    MethodDefinition(node: AnyNode) {
      if (node.computed) at(node.key, "computed-key", "computed class member name `[k]() {}` is a SyntaxError on the board", "probe 023");
      if (node.key.type === "PrivateIdentifier") at(node.key, "private", `#private member #${node.key.name} is a SyntaxError on the board`, "probe 013");
    },
    PropertyDefinition(node: AnyNode) {
      if (node.computed) at(node.key, "computed-key", "computed class field name is a SyntaxError on the board", "probe 023");
      if (node.key.type === "PrivateIdentifier") at(node.key, "private", `#private field #${node.key.name} is a SyntaxError on the board`, "probe 013");
    },
    MetaProperty(node: AnyNode) {
      if (node.meta.name === "new") at(node, "new-target", "`new.target` is a SyntaxError on the board", "probe 026");
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
        at(left, "entry-exports", "the bundle assigns module.exports: the firmware entry must not export anything, esbuild's __toCommonJS/__copyProps helpers run wrong on the board (docs/espruino.md trap 8)", "no probe (docs/espruino.md trap 8; helper probes 474-482)");
      }
      if (node.left.type === "MemberExpression" && memberName(node.left) === "length") {
        at(node.left.property, "length-assign", "assigning `.length` throws on the board for arrays (use splice)", "probe 247");
      }
    },
    TemplateLiteral(node: AnyNode) {
      if (node.quasis.some((q: AnyNode) => q.value.raw.includes("\\${"))) {
        at(node, "template-escaped-dollar", "an escaped `\\${` in a template literal is still read as a substitution on the board (build the string with + \"${\")", "probe 075");
      }
    },
    LabeledStatement(node: AnyNode) {
      at(node, "label", `label \`${node.label.name}:\` is not supported (break/continue to it throws ReferenceError)`, "probes 110-113");
    },
    TaggedTemplateExpression(node: AnyNode) {
      at(node, "tagged-template", "tagged template literal is a SyntaxError on the board", "probes 078, 480");
    },
    Identifier(node: AnyNode, _st: unknown, ancestors: Node[]) {
      const loop = loopVariableInClosure(node, ancestors);
      const loopKey = loop && `${loop.closure.start}:${node.name}`; // one hit per closure and variable
      if (loop && !loopClosuresSeen.has(loopKey!)) {
        loopClosuresSeen.add(loopKey!);
        at(node, "loop-closure", `a closure uses loop variable \`${node.name}\` of a \`for (${loop.kind} …)\`: the board has no per-iteration binding, so every closure sees the last value (use forEach; docs/espruino.md trap 4)`, "probes 059, 060, 061, 069", node.name);
      }
      if (node.name === "arguments" && !isDeclared("arguments", ancestors)) {
        const fn = [...ancestors].reverse().find((a) => a.type === "ArrowFunctionExpression" || a.type === "FunctionExpression" || a.type === "FunctionDeclaration");
        if (fn?.type === "ArrowFunctionExpression") at(node, "arrow-arguments", "`arguments` inside an arrow function is undefined on the board (use a function, or name the parameters)", "probe 033");
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
        at(node.property, "private", `#private member access #${node.property.name} is a SyntaxError on the board`, "probe 013");
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
      if (node.left.type === "PrivateIdentifier") at(node.left, "private", `\`#${node.left.name} in obj\` is a SyntaxError on the board`, "probe 013");
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
      const late = callee.type === "Identifier" ? undeclaredAtCall(callee.name, ancestors) : null;
      if (late === callee.name) {
        at(callee, "hoisting", `\`${late}()\` is called before its function declaration has run: the board does not hoist functions and throws ReferenceError (docs/espruino.md trap 3)`, "probes 050, 051", callee.name);
      } else if (late !== null) {
        at(callee, "hoisting", `\`${callee.name}()\` is called before a function it calls at once (\`${late}\` in the bundle) has been declared: the board does not hoist functions and throws ReferenceError (docs/espruino.md trap 3)`, "probes 050, 051", callee.name);
      }
      const arg0 = node.arguments[0] as AnyNode | undefined;
      if (callee.type === "Identifier" && (callee.name === "clearTimeout" || callee.name === "clearInterval") && isGlobal(callee.name, ancestors) && arg0 && arg0.type !== "Literal" && !isClearGuarded(code, arg0, ancestors)) {
        const text = code.slice(arg0.start, arg0.end);
        at(callee, "clear-unguarded", `\`${callee.name}(${text})\` without a test that ${text} is set: \`${callee.name}(undefined)\` throws on the board (docs/espruino.md trap 5)`, "probe 441");
      }
      if (isRequire(callee, ancestors)) {
        const mod = stringValue(node.arguments[0]);
        if (mod === null) at(node, "require", "require() of a computed name: the uploader cannot resolve it; only Espruino built-ins may be required", "probe 453");
        else if (!BUILTIN_MODULES.includes(mod)) {
          at(node, "require", `require("${mod}") is not an Espruino built-in (${BUILTIN_MODULES.join(", ")}): the board throws "Module not found" and the uploader would try to download it`, "probe 453");
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
        at(callee.property, "json-extra-args", `JSON.${name}'s ${name === "parse" ? "reviver is" : "replacer and indent are"} ignored on the board (or formatted differently)`, "probes 340, 345, 346, 347");
      }
      if (name === "create" && node.arguments.length >= 2 && onGlobal("Object")) {
        at(callee.property, "object-create-descriptors", "Object.create(proto, descriptors) throws on the board (\"propertiesObject is not supported yet\")", "probe 199");
      }
      if ((name === "keys" || name === "values" || name === "entries") && node.arguments.length === 0 && !onGlobal("Object")) {
        at(callee.property, "array-iterators", `.${name}() iterators do not exist on the board (use forEach or Object.${name}(o))`, "probes 246, 105");
      }
      if (name === "split" && node.arguments.length >= 2) {
        at(callee.property, "split-limit", "split with a limit: the board ignores the limit", "probe 266");
      }
      // str.match(/…/g) is [] (truthy) on the board when nothing matches: a direct truth test of it is always true.
      const parent = ancestors[ancestors.length - 2] as AnyNode | undefined;
      const tested = parent && ((parent.type === "UnaryExpression" && parent.operator === "!") || (parent.type === "LogicalExpression" && parent.left === node) || (/^(If|While|DoWhile|For)Statement$|^ConditionalExpression$/.test(parent.type) && parent.test === node));
      if (name === "match" && (node.arguments[0] as AnyNode | undefined)?.regex?.flags.includes("g") && tested) {
        at(callee.property, "match-g-truthy", "`.match(/…/g)` is tested for truth: on the board it gives [] (truthy), not null, when nothing matches (test its .length; docs/espruino.md trap 12)", "no probe (docs/espruino.md trap 12)");
      }
      const replacement = stringValue(node.arguments[1]);
      if ((name === "replace" || name === "replaceAll") && replacement !== null && replacement.includes("$&")) {
        at(callee.property, "replace-dollar-amp", "`$&` in a replacement string is written literally on the board (use a function)", "probe 273");
      }
      const trap = own(PREFIX_TRAP_METHODS, name);
      const needle = stringValue(node.arguments[0]);
      if (trap !== undefined && needle !== null && Buffer.byteLength(needle, "utf8") >= 2) {
        at(callee.property, `needle-${name}`, `.${name}(${JSON.stringify(needle)}) with a needle of 2+ characters gives false positives on 2v29 when the haystack ends with a prefix of it (docs/espruino.md trap 1): search one character (an Array's ${name} is exact: then mark the line \`// bundle-check-ok: needle-${name}\`)`, trap);
      }
    },
  });

  function extendsError(node: AnyNode, ancestors: Node[]) {
    const sup = node.superClass as AnyNode | null;
    if (sup?.type === "Identifier" && /Error$/.test(sup.name) && isGlobal(sup.name, ancestors)) {
      at(sup, "extends-Error", `\`class … extends ${sup.name}\` fails on the board ("Calling 'super' outside of class"): make an Error and set fields on it (docs/espruino.md trap 6)`, "probes 017-019, 433, 434");
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
  const allowed = addSources(hits, opts.map, opts.mapDir ?? ROOT, opts.root ?? ROOT);
  opts.allowed?.push(...hits.filter((h) => allowed.has(h)));
  return hits.filter((h) => !allowed.has(h));
}

/** One line per hit: `bundle:line:col (src/x.ts:line:col): message [docs/espruino.md probe N]`. */
export function formatHit(h: BundleHit, bundleName = "firmware/app.js"): string {
  const src = h.source ? ` (${h.source.file}:${h.source.line}:${h.source.column})` : "";
  const rows = h.rows.startsWith("no probe") ? h.rows : `docs/espruino.md ${h.rows}`;
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
