// tools/espruino/build-interpreter.sh without a source tree: it downloads nothing and says what it needs;
// the native timing build it makes with --native is found beside $ESPRUINO (or by ESPRUINO_NATIVE) and,
// when built, is the same interpreter with the same pool.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nativeInterpreter, realInterpreter } from "./harness.ts";

const SCRIPT = join(import.meta.dirname, "..", "..", "tools", "espruino", "build-interpreter.sh");

describe("build-interpreter.sh", () => {
  it("asks for an Espruino source tree when given none, or a folder that is not one, with or without --native", () => {
    for (const args of [[], [mkdtempSync(join(tmpdir(), "not-espruino-"))], ["--native"], ["--native", mkdtempSync(join(tmpdir(), "not-espruino-"))]]) {
      const r = spawnSync("bash", [SCRIPT, ...args], { encoding: "utf8", env: { ...process.env, ESPRUINO_SRC: "" } });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/usage: bash tools\/espruino\/build-interpreter\.sh \[--native\] \/path\/to\/Espruino-source/);
      expect(r.stderr).toMatch(/github\.com\/espruino\/Espruino/);
      expect(r.stderr).toMatch(/--native: the same interpreter as a native 64-bit program \(OUT_DIR\/espruino-native\), for timing only/);
    }
  });
});

describe("the native timing build", () => {
  it("is espruino-native beside $ESPRUINO, or ESPRUINO_NATIVE (empty: none), and only when the file exists", () => {
    const dir = mkdtempSync(join(tmpdir(), "espruino-builds-"));
    const esp = join(dir, "espruino");
    writeFileSync(esp, "");
    expect(nativeInterpreter({ ESPRUINO: esp })).toBeNull();
    writeFileSync(join(dir, "espruino-native"), "");
    expect(nativeInterpreter({ ESPRUINO: esp })).toBe(join(dir, "espruino-native"));
    expect(nativeInterpreter({ ESPRUINO: esp, ESPRUINO_NATIVE: "" })).toBeNull();
    expect(nativeInterpreter({ ESPRUINO: esp, ESPRUINO_NATIVE: join(dir, "missing") })).toBeNull();
    writeFileSync(join(dir, "other"), "");
    expect(nativeInterpreter({ ESPRUINO: esp, ESPRUINO_NATIVE: join(dir, "other") })).toBe(join(dir, "other"));
    expect(nativeInterpreter({})).toBeNull();
  });

  const found = realInterpreter();
  const native = nativeInterpreter();
  it.skipIf("skipped" in found || !native)("when built, runs the same Espruino version with the same pool of 16383 variables, board ESP32SIM_LINUX64", () => {
    const facts = (bin: string) => {
      const out = execFileSync("sh", ["-c", `cd "$(mktemp -d)" && printf 'print("@f "+JSON.stringify([process.env.VERSION,process.env.BOARD,process.memory().total]))\\n' > f.js && timeout 60 "$0" f.js < /dev/null`, bin], { encoding: "latin1" });
      return JSON.parse(out.split("\n").find((l) => l.startsWith("@f "))!.slice(3)) as [string, string, number];
    };
    const m = facts((found as { bin: string }).bin);
    const n = facts(native!);
    expect(n[0]).toBe(m[0]);
    expect(m[1]).toBe("ESP32SIM_LINUX");
    expect(n[1]).toBe("ESP32SIM_LINUX64");
    expect(n[2]).toBe(16383);
    expect(m[2]).toBe(16383);
  });
});
