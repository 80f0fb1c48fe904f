// Minimal scope tracking for the bundle check: which names a scope node (program, function, block,
// for, catch, class) declares, so a local variable called `Map` is not mistaken for the global.
import type { Node } from "acorn";

type AnyNode = Node & Record<string, any>;

const cache = new WeakMap<Node, Set<string>>();

/** Names a node declares for the code inside it (empty for nodes that are not scopes). */
const SCOPES = new Set(["Program", "FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression", "BlockStatement", "StaticBlock", "SwitchStatement", "ForStatement", "ForInStatement", "ForOfStatement", "CatchClause", "ClassExpression"]);
const NONE: Set<string> = new Set();

export function declaredNames(node: Node): Set<string> {
  if (!SCOPES.has(node.type)) return NONE;
  let names = cache.get(node);
  if (!names) {
    names = collect(node as AnyNode);
    cache.set(node, names);
  }
  return names;
}

/** The innermost enclosing node that declares `name`, or null for a global. */
export function declaringScope(name: string, ancestors: Node[]): Node | null {
  for (let i = ancestors.length - 1; i >= 0; i--) if (declaredNames(ancestors[i]).has(name)) return ancestors[i];
  return null;
}

/** True when `name` is declared by any of the enclosing nodes (innermost last, as acorn-walk gives them). */
export function isDeclared(name: string, ancestors: Node[]): boolean {
  for (let i = ancestors.length - 1; i >= 0; i--) if (declaredNames(ancestors[i]).has(name)) return true;
  return false;
}

function collect(node: AnyNode): Set<string> {
  const names = new Set<string>();
  switch (node.type) {
    case "Program":
      lexical(node.body, names);
      hoistedVars(node.body, names);
      break;
    case "FunctionDeclaration":
    case "FunctionExpression":
    case "ArrowFunctionExpression":
      if (node.type === "FunctionExpression" && node.id) names.add(node.id.name);
      for (const p of node.params) patternNames(p, names);
      if (node.body.type === "BlockStatement") {
        lexical(node.body.body, names);
        hoistedVars(node.body.body, names);
      }
      break;
    case "BlockStatement":
    case "StaticBlock":
      lexical(node.body, names);
      break;
    case "SwitchStatement":
      for (const c of node.cases) lexical(c.consequent, names);
      break;
    case "ForStatement":
      if (node.init?.type === "VariableDeclaration") declarationNames(node.init, names);
      break;
    case "ForInStatement":
    case "ForOfStatement":
      if (node.left.type === "VariableDeclaration") declarationNames(node.left, names);
      break;
    case "CatchClause":
      if (node.param) patternNames(node.param, names);
      break;
    case "ClassExpression":
      if (node.id) names.add(node.id.name);
      break;
  }
  return names;
}

/** let/const/class/function declared directly in a statement list. */
function lexical(statements: AnyNode[], names: Set<string>) {
  for (const s of statements) {
    if (s.type === "VariableDeclaration") declarationNames(s, names);
    else if ((s.type === "FunctionDeclaration" || s.type === "ClassDeclaration") && s.id) names.add(s.id.name);
  }
}

/** `var` declarations anywhere below, not entering nested functions. */
function hoistedVars(value: unknown, names: Set<string>) {
  if (Array.isArray(value)) {
    for (const v of value) hoistedVars(v, names);
    return;
  }
  if (!value || typeof value !== "object" || typeof (value as AnyNode).type !== "string") return;
  const node = value as AnyNode;
  if (node.type === "FunctionDeclaration" || node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression") return;
  if (node.type === "VariableDeclaration" && node.kind === "var") declarationNames(node, names);
  for (const key of Object.keys(node)) {
    if (key !== "type" && key !== "loc") hoistedVars(node[key], names);
  }
}

function declarationNames(decl: AnyNode, names: Set<string>) {
  for (const d of decl.declarations) patternNames(d.id, names);
}

function patternNames(p: AnyNode | null, names: Set<string>) {
  if (!p) return;
  switch (p.type) {
    case "Identifier":
      names.add(p.name);
      break;
    case "ObjectPattern":
      for (const prop of p.properties) patternNames(prop.type === "RestElement" ? prop.argument : prop.value, names);
      break;
    case "ArrayPattern":
      for (const e of p.elements) patternNames(e, names);
      break;
    case "RestElement":
      patternNames(p.argument, names);
      break;
    case "AssignmentPattern":
      patternNames(p.left, names);
      break;
  }
}
