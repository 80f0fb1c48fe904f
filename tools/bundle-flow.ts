// What runs before what in the bundle, for the traps that depend on order: a global used only after a
// `typeof` test (fine), a clearTimeout with no test of its argument (trap 5), a call that runs before a
// function declaration (trap 3), a closure over a per-iteration loop variable (trap 4).
import type { Node } from "acorn";
import { ancestor } from "acorn-walk";
import { declaringScope, isDeclared } from "./bundle-scope.ts";

type AnyNode = Node & Record<string, any>;

const isFunction = (n: Node) => n.type === "FunctionExpression" || n.type === "ArrowFunctionExpression" || n.type === "FunctionDeclaration";

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
export function isFeatureGuarded(name: string, ancestors: Node[]): boolean {
  for (let i = ancestors.length - 1; i > 0; i--) {
    const child = ancestors[i];
    const p = ancestors[i - 1] as AnyNode;
    if ((p.type === "ConditionalExpression" || p.type === "IfStatement") && child === p.consequent && testsFeature(p.test, name)) return true;
    if (p.type === "LogicalExpression" && p.operator === "&&" && child === p.right && testsFeature(p.left, name)) return true;
  }
  return false;
}

/** Trap 4: the `let`/`const` kind when `id` is a `for (let …)` / `for (const … of/in …)` variable used inside a closure made in the loop. */
export function loopVariableInClosure(id: AnyNode, ancestors: Node[]): { kind: string; closure: Node } | null {
  const scope = declaringScope(id.name, ancestors) as AnyNode | null;
  if (!scope || (scope.type !== "ForStatement" && scope.type !== "ForInStatement" && scope.type !== "ForOfStatement")) return null;
  const decl = scope.type === "ForStatement" ? scope.init : scope.left;
  if (decl?.type !== "VariableDeclaration" || decl.kind === "var") return null;
  const closure = ancestors.slice(ancestors.indexOf(scope) + 1).find(isFunction);
  return closure ? { kind: decl.kind, closure } : null;
}

/**
 * Trap 5: `clearTimeout(undefined)` throws. A clear is taken as guarded when an enclosing if / ?: / && / ||
 * or an earlier `if` in the same block tests the same expression (compared by its text in `code`).
 */
export function isClearGuarded(code: string, arg: AnyNode, ancestors: Node[]): boolean {
  const text = code.slice(arg.start, arg.end);
  const mentions = (n: AnyNode | null | undefined) => !!n && code.slice(n.start, n.end).includes(text);
  for (let i = ancestors.length - 2; i >= 0; i--) {
    const p = ancestors[i] as AnyNode;
    const child = ancestors[i + 1];
    if ((p.type === "IfStatement" || p.type === "ConditionalExpression") && child !== p.test && mentions(p.test)) return true;
    if (p.type === "LogicalExpression" && child === p.right && mentions(p.left)) return true;
    if (p.type === "BlockStatement" || p.type === "Program") {
      const list = p.body as AnyNode[];
      const before = list.slice(0, list.indexOf(child as AnyNode));
      if (before.some((st) => st.type === "IfStatement" && mentions(st.test))) return true;
    }
    if (isFunction(p)) break;
  }
  return false;
}

/**
 * Trap 3: the board does not hoist functions. For a call of `name` (in the scope `ancestors` leads to):
 * the function not yet declared when the call runs (`name` itself, or a same-scope function it calls
 * at once), or null when the call is fine (or runs later, inside a nested function).
 */
export function undeclaredAtCall(name: string, ancestors: Node[]): string | null {
  const scope = declaringScope(name, ancestors) as AnyNode | null;
  const list = scope ? statementList(scope) : undefined;
  if (!scope || !list) return null;
  const decls = functionDeclarations(list);
  if (!decls.has(name)) return null;
  // The statement of `list` that holds the call, provided no function boundary lies in between.
  const at0 = ancestors.indexOf(scope);
  for (let i = ancestors.length - 2; i > at0; i--) {
    if (isFunction(ancestors[i])) return null;
    const callIndex = list.indexOf(ancestors[i] as AnyNode);
    if (callIndex >= 0) return firstLateFunction(name, decls, callIndex);
  }
  return null;
}

type Declarations = Map<string, { index: number; fn: AnyNode }>;

/** The statements a scope node runs in order, for the scopes that can hold function declarations. */
function statementList(scope: AnyNode): AnyNode[] | undefined {
  if (scope.type === "Program" || scope.type === "BlockStatement" || scope.type === "StaticBlock") return scope.body;
  if ((scope.type === "FunctionDeclaration" || scope.type === "FunctionExpression") && scope.body.type === "BlockStatement") return scope.body.body;
  return undefined;
}

const declarationsCache = new WeakMap<AnyNode[], Declarations>();

/** Function declarations directly in a statement list: name -> its statement index and node. */
function functionDeclarations(list: AnyNode[]): Declarations {
  let decls = declarationsCache.get(list);
  if (!decls) {
    const found: Declarations = new Map();
    list.forEach((st, index) => {
      if (st.type === "FunctionDeclaration" && st.id) found.set(st.id.name, { index, fn: st });
    });
    declarationsCache.set(list, found);
    decls = found;
  }
  return decls;
}

const calleesCache = new WeakMap<AnyNode, string[]>();

/** Names from `decls` that `fn` calls when it runs (not from functions nested in it), unless shadowed in `fn`. */
function immediateCallees(fn: AnyNode, decls: Declarations): string[] {
  let names = calleesCache.get(fn);
  if (!names) {
    const found = new Set<string>();
    ancestor(fn.body, {
      CallExpression(c: AnyNode, _st: unknown, inner: Node[]) {
        if (c.callee.type !== "Identifier" || !decls.has(c.callee.name)) return;
        if (inner.some(isFunction) || isDeclared(c.callee.name, [fn, ...inner])) return;
        found.add(c.callee.name);
      },
    });
    names = [...found];
    calleesCache.set(fn, names);
  }
  return names;
}

/** Of `name` and the same-scope functions it calls at once (transitively), the first declared after statement `index`. */
function firstLateFunction(name: string, decls: Declarations, index: number): string | null {
  const queue = [name];
  const seen = new Set(queue);
  while (queue.length) {
    const d = decls.get(queue[0])!;
    if (d.index > index) return queue[0];
    queue.shift();
    for (const callee of immediateCallees(d.fn, decls)) {
      if (!seen.has(callee)) {
        seen.add(callee);
        queue.push(callee);
      }
    }
  }
  return null;
}
