// bench/profile.ts's instrumentation: every function declared at a module's top level or one level in
// is wrapped by the profiler's timer after its declaration; deeper ones and the code around stay as they are.
import { describe, expect, it } from "vitest";
import { instrument } from "../../bench/profile.ts";

describe("profile instrumentation", () => {
  it("wraps top-level and one-level-in functions after their closing brace, named file:function", () => {
    const src = [
      "export function outer(a: number) {",
      "  let n = 0;",
      "  function inner() {",
      "    function deeper() {",
      "      return 1;",
      "    }",
      "    return deeper();",
      "  }",
      "  return inner() + a + n;",
      "}",
      "function helper() {",
      "  return 2;",
      "}",
      "const x = 1;",
    ].join("\n");
    const out = instrument(src, "mime/x").split("\n");
    expect(out).toContain('  inner = __w("mime/x:inner", inner);');
    expect(out).toContain('outer = __w("mime/x:outer", outer);');
    expect(out).toContain('helper = __w("mime/x:helper", helper);');
    expect(out.join("\n")).not.toContain("deeper = __w");
    // Each wrapper line follows its function's closing brace.
    expect(out[out.indexOf('  inner = __w("mime/x:inner", inner);') - 1]).toBe("  }");
    expect(out[out.indexOf('outer = __w("mime/x:outer", outer);') - 1]).toBe("}");
    // Nothing else changes.
    expect(out.filter((l) => !l.includes("__w(")).join("\n")).toBe(src);
  });
});
