// tools/espruino/build-interpreter.sh without a source tree: it downloads nothing and says what it needs.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SCRIPT = join(import.meta.dirname, "..", "..", "tools", "espruino", "build-interpreter.sh");

describe("build-interpreter.sh", () => {
  it("asks for an Espruino source tree when given none, or a folder that is not one", () => {
    for (const args of [[], [mkdtempSync(join(tmpdir(), "not-espruino-"))]]) {
      const r = spawnSync("bash", [SCRIPT, ...args], { encoding: "utf8", env: { ...process.env, ESPRUINO_SRC: "" } });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/usage: bash tools\/espruino\/build-interpreter\.sh \/path\/to\/Espruino-source/);
      expect(r.stderr).toMatch(/github\.com\/espruino\/Espruino/);
    }
  });
});
