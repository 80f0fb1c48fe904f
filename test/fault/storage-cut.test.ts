// The simulator's Storage cut the board's way (jsflash.c): a write is erase-old, header with the full
// size, then data; a cut leaves no file, a full-length file of 0xFF, or a prefix then 0xFF; an erase
// is one word write (whole or gone); nothing of that boot reaches the flash after the cut.
import { mkdtempSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { armPowerCut, createSimStorage, cutPointsOf } from "../../host-sim/storage.ts";
import { ROOT } from "../../tools/build.ts";

function store() {
  const base = join(ROOT, "test", ".tmp", "fault");
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, "flash-"));
  const s = createSimStorage({ dir });
  const m = s.module as { write(n: string, d: string, o?: number, size?: number): boolean; erase(n: string): void; read(n: string): string | undefined };
  return { dir, s, m };
}

describe("power cuts in the simulator's Storage", () => {
  it("counts every write and erase and names the points a cut can fall on", () => {
    const { dir, m } = store();
    m.write("a", "first");
    const h = armPowerCut(dir);
    m.write("a", "first"); // the same bytes: the board writes nothing
    m.write("a", "second");
    m.write("b", "new");
    m.erase("a");
    m.write("c", "xx", 0, 8); // a file made with its size…
    m.write("c", "yyyy", 2); // …then written into: no header of its own
    h.disarm();
    expect(h.ops.map((o) => [o.kind, o.name, o.same, o.replaces, o.creates])).toEqual([
      ["write", "a", true, false, true],
      ["write", "a", false, true, true],
      ["write", "b", false, false, true],
      ["erase", "a", false, false, false],
      ["write", "c", false, false, true],
      ["write", "c", false, false, false],
    ]);
    expect(h.ops.map(cutPointsOf)).toEqual([
      ["before"],
      ["before", "after-erase", "after-header", "torn", "torn-tail"],
      ["before", "after-header", "torn"],
      ["before"],
      ["before", "after-header", "torn", "torn-tail"],
      ["before", "torn", "torn-tail"],
    ]);
  });

  it("a cut after the header leaves a file of the full length, every byte 0xFF; torn leaves a prefix then 0xFF", () => {
    const a = store();
    armPowerCut(a.dir, { at: 1, point: "after-header" });
    a.m.write("rec", "0123456789abcdef");
    expect(Buffer.from(a.s.readBytes("rec")!)).toEqual(Buffer.alloc(16, 0xff));
    const b = store();
    armPowerCut(b.dir, { at: 1, point: "torn" });
    b.m.write("rec", "0123456789abcdef");
    expect(b.s.readBytes("rec")!.toString("latin1")).toBe("01234567" + "\xff".repeat(8));
    const c = store();
    armPowerCut(c.dir, { at: 1, point: "torn-tail" });
    c.m.write("rec", "0123456789abcdefgh");
    expect(c.s.readBytes("rec")!.toString("latin1")).toBe("0123456789abcdef" + "\xff".repeat(2));
  });

  it("a cut between erasing the old file and the new header leaves no file at all", () => {
    const { dir, s, m } = store();
    m.write("notes", "old notes");
    armPowerCut(dir, { at: 1, point: "after-erase" });
    m.write("notes", "new notes, longer");
    expect(s.readBytes("notes")).toBeUndefined();
  });

  it("a cut at an erase leaves the file whole; after a cut nothing more of that boot reaches the flash", () => {
    const { dir, s, m } = store();
    m.write("x", "keep me");
    let cutAt = "";
    const h = armPowerCut(dir, { at: 1, onCut: (op) => (cutAt = op.kind + " " + op.name) });
    m.erase("x");
    m.write("y", "after the cut");
    m.erase("x");
    expect(cutAt).toBe("erase x");
    expect(h.cutAt?.n).toBe(1);
    expect(s.readBytes("x")?.toString("latin1")).toBe("keep me");
    expect(s.readBytes("y")).toBeUndefined();
    // The next boot's Storage on the same folder writes again.
    const next = createSimStorage({ dir });
    (next.module as { write(n: string, d: string): boolean }).write("y", "next boot");
    expect(next.readBytes("y")?.toString("latin1")).toBe("next boot");
  });

  it("a write into a file made with a size tears inside that call's data only", () => {
    const { dir, s, m } = store();
    m.write("f", "AAAA", 0, 16);
    armPowerCut(dir, { at: 1, point: "torn" });
    m.write("f", "BBBBBBBB", 4);
    expect(s.readBytes("f")!.toString("latin1")).toBe("AAAABBBB" + "\xff".repeat(8));
  });
});
