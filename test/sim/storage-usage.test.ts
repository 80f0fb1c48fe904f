// Storage's free-space accounting (kept in a table, not rescanned at every write) stays exact through
// writes, overwrites and erases, across two SimStorage objects on one folder, and sees files made by others.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSimStorage } from "../../host-sim/storage.ts";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const folder = () => {
  const d = mkdtempSync(join(tmpdir(), "sim-storage-"));
  dirs.push(d);
  return d;
};
type Mod = { write(n: string, d: string): boolean; erase(n: string): void; getFree(): number; eraseAll(): void };

describe("Storage free space", () => {
  it("counts 32 bytes of header plus the data rounded up to 4 per file, through overwrites and erases", () => {
    const s = createSimStorage({ dir: folder(), capacity: 1000 });
    const m = s.module as unknown as Mod;
    m.write("a", "12345"); // 32 + 8
    m.write("b", "x".repeat(100)); // 32 + 100
    expect(m.getFree()).toBe(1000 - 40 - 132);
    m.write("a", "1"); // 32 + 4
    expect(m.getFree()).toBe(1000 - 36 - 132);
    m.erase("b");
    expect(m.getFree()).toBe(1000 - 36);
    m.eraseAll();
    expect(m.getFree()).toBe(1000);
  });

  it("refuses a write that does not fit, counting the file it replaces as freed", () => {
    const m = createSimStorage({ dir: folder(), capacity: 200 }).module as unknown as Mod;
    m.write("big", "x".repeat(120)); // 152 used
    expect(() => m.write("other", "x".repeat(20))).toThrow(/Not enough free space/);
    expect(m.write("big", "x".repeat(160))).toBe(true); // replaces itself: 32 + 160 ≤ 200
    expect(m.getFree()).toBe(8);
  });

  it("sees what another Storage object on the same folder and another program wrote", () => {
    const dir = folder();
    const a = createSimStorage({ dir, capacity: 1000 }).module as unknown as Mod;
    const b = createSimStorage({ dir, capacity: 1000 }).module as unknown as Mod;
    a.write("one", "1234");
    expect(b.getFree()).toBe(1000 - 36);
    b.write("two", "12345678");
    expect(a.getFree()).toBe(1000 - 36 - 40);
    writeFileSync(join(dir, "three"), "x".repeat(64)); // made outside the simulator
    expect(a.getFree()).toBe(1000 - 36 - 40 - 96);
  });
});
