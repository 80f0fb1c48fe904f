// Syntax Espruino 2v29 cannot run (docs/espruino.md §1, docs/espruino.md probes 013–176): the
// simulator refuses code that has any, as a SyntaxError at load, before a line runs. The board
// itself fails some of these only when the code is reached (and some as ReferenceError); refusing
// the whole bundle up front is stricter, never more lenient. The build's bundle check refuses the
// same in firmware/app.js; this guards every other way code gets in (fixtures, --app, the console).
import { parse, type Node } from "acorn";
import { full } from "acorn-walk";

export interface SyntaxRefusal {
  /** What the board cannot run, e.g. "destructuring". */
  what: string;
  line: number;
  /** 1-based. */
  column: number;
}

type AnyNode = Node & Record<string, any>;

function refusal(n: AnyNode): string | null {
  switch (n.type) {
    case "ObjectPattern":
    case "ArrayPattern":
      return "destructuring";
    case "RestElement":
      return "rest parameters/elements";
    case "SpreadElement":
      return "spread (...)";
    case "AssignmentPattern":
      return "default parameter values";
    case "AwaitExpression":
      return "await";
    case "YieldExpression":
      return "yield";
    case "LabeledStatement":
      return "labels";
    case "TaggedTemplateExpression":
      return "tagged templates";
    case "ChainExpression":
      return "optional chaining (?.)";
    case "MetaProperty":
      return n.meta?.name === "new" ? "new.target" : "import.meta";
    case "PrivateIdentifier":
      return "#private class members";
    case "PropertyDefinition":
      return "native class fields";
    case "StaticBlock":
      return "class static blocks";
    case "ImportExpression":
      return "import()";
    case "Literal":
      return n.bigint !== undefined ? "BigInt literals" : null;
    case "BinaryExpression":
      return n.operator === "**" ? "the ** operator" : null;
    case "AssignmentExpression":
      return ["**=", "??=", "||=", "&&="].includes(n.operator) ? `the ${n.operator} operator` : null;
    case "Property":
    case "MethodDefinition":
      return n.computed ? "computed property names" : null;
    case "FunctionDeclaration":
    case "FunctionExpression":
    case "ArrowFunctionExpression":
      if (n.async) return "async functions";
      if (n.generator) return "generators";
      return null;
    default:
      return null;
  }
}

/** The first construct in `code` the board cannot run, or null. A parse error is reported as one. */
export function findUnsupportedSyntax(code: string): SyntaxRefusal | null {
  let ast: Node;
  try {
    ast = parse(code, { ecmaVersion: "latest", sourceType: "script", locations: true, allowHashBang: true });
  } catch (e) {
    const loc = (e as { loc?: { line: number; column: number } }).loc;
    return { what: (e as Error).message.replace(/ \(\d+:\d+\)$/, ""), line: loc?.line ?? 1, column: (loc?.column ?? 0) + 1 };
  }
  let found: SyntaxRefusal | null = null;
  full(ast, (node) => {
    if (found) return;
    const n = node as AnyNode;
    const what = refusal(n);
    if (what) found = { what, line: n.loc?.start.line ?? 1, column: (n.loc?.start.column ?? 0) + 1 };
  });
  return found;
}
