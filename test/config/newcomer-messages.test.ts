// Messages a newcomer meets in board.json: reversed POSIX signs, a city without its region, a pin as a
// number, errors of board.local.json named by file, an out-of-range HELO literal, an oversized subject.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { loadBoardConfig } from "../../tools/config/load.ts";
import { runCheck } from "./cli.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function writeBoard(board: unknown, local?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "alertmail-msg-"));
  dirs.push(dir);
  writeFileSync(join(dir, "board.json"), JSON.stringify(board));
  if (local !== undefined) writeFileSync(join(dir, "board.local.json"), JSON.stringify(local));
  return join(dir, "board.json");
}

const minimal = (extra: Record<string, unknown> = {}) => ({
  device: { name: "Pump House", ...((extra.device as object) ?? {}) },
  wifi: { ssid: "farm" },
  smtp: { host: "mail.example.com", from: "pump@example.com", to: ["me@example.com"], ...((extra.smtp as object) ?? {}) },
  ...(extra.alerts ? { alerts: extra.alerts } : {}),
});

function errorsOf(board: unknown, local?: unknown): string[] {
  const r = loadBoardConfig({ file: writeBoard(board, local), env: {}, year: 2026 });
  if (r.ok) throw new Error("expected errors, got a config");
  return r.errors;
}

describe("device.timezone", () => {
  test('"UTC+1" is refused with the reversed POSIX sign explained and what to write instead', () => {
    const [e] = errorsOf(minimal({ device: { timezone: "UTC+1" } }));
    expect(e).toMatch(/^device\.timezone: found "UTC\+1" \(text\)/);
    expect(e).toMatch(/1 hour WEST of UTC/);
    expect(e).toMatch(/"Etc\/GMT-1"/);
  });

  test('"GMT-3" and "UTC+05:30" get the same explanation; "UTC" and "UTC0" stay valid', () => {
    expect(errorsOf(minimal({ device: { timezone: "GMT-3" } }))[0]).toMatch(/3 hours EAST of UTC.*"Etc\/GMT\+3"/);
    expect(errorsOf(minimal({ device: { timezone: "UTC+05:30" } }))[0]).toMatch(/WEST of UTC.*"<\+0530>-5:30"/);
    for (const tz of ["UTC", "UTC0", "Etc/GMT-1", "CET-1CEST,M3.5.0,M10.5.0/3"]) {
      const r = loadBoardConfig({ file: writeBoard(minimal({ device: { timezone: tz } })), env: {}, year: 2026 });
      expect(r.ok, tz).toBe(true);
    }
  });

  test('a city alone ("Paris", "new york") gets its IANA zone as a suggestion', () => {
    expect(errorsOf(minimal({ device: { timezone: "Paris" } }))[0]).toMatch(/did you mean "Europe\/Paris"\?/);
    expect(errorsOf(minimal({ device: { timezone: "new york" } }))[0]).toMatch(/did you mean "America\/New_York"\?/);
  });
});

describe("alert pins", () => {
  test('"pin": 4 says write "D4"', () => {
    const alerts = [{ kind: "digital", name: "door", pin: 4 }];
    const [e] = errorsOf(minimal({ alerts }));
    expect(e).toMatch(/^alerts\[0\]\.pin: found 4 \(number\); expected .*\(write "D4"\)$/);
  });
});

describe("board.local.json", () => {
  test("an error in a value the overlay sets names board.local.json", () => {
    const errors = errorsOf(minimal(), { smtp: { port: 587 } , device: { timezone: "Paris" } });
    expect(errors.find((e) => e.includes("smtp.port"))).toMatch(/^board\.local\.json: smtp\.port: /);
    expect(errors.find((e) => e.includes("device.timezone"))).toMatch(/^board\.local\.json: device\.timezone: /);
  });

  test("an error in board.json's own value keeps its plain key path", () => {
    const errors = errorsOf(minimal({ smtp: { port: 587 } }), { device: { name: "Barn" } });
    expect(errors).toEqual([expect.stringMatching(/^smtp\.port: /)]);
  });

  test("npm run check's header names both files", async () => {
    const file = writeBoard(minimal(), { smtp: { port: 587 } });
    const r = await runCheck([file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/board\.json \+ board\.local\.json: 1 error/);
    expect(r.out).toMatch(/board\.local\.json: smtp\.port: found 587/);
  });
});

describe("smtp.helo (issue 17 item 7)", () => {
  test('"[999.1]" is refused: an address literal must be a real IPv4 or IPv6 address', () => {
    for (const helo of ["[999.1]", "[300.1.1.1]", "[1.2.3]", "[::1]"]) {
      expect(errorsOf(minimal({ smtp: { helo } }))[0], helo).toMatch(/^smtp\.helo: found/);
    }
  });
  test('"[192.168.1.20]" and "[IPv6:2001:db8::1]" pass', () => {
    for (const helo of ["[192.168.1.20]", "[IPv6:2001:db8::1]", "garage.local"]) {
      const r = loadBoardConfig({ file: writeBoard(minimal({ smtp: { helo } })), env: {}, year: 2026 });
      expect(r.ok, helo).toBe(true);
    }
  });
});

describe("an oversized configuration", () => {
  test("a 10 KB subject is reported at its key path, not at (top level)", () => {
    const alerts = [{ kind: "boot", name: "restart", subject: "x".repeat(10240) }];
    const errors = errorsOf(minimal({ alerts }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^alerts\[0\]\.subject: /);
    expect(errors[0]).not.toMatch(/\(top level\)/);
  });
});

describe("the build names the file of each board error", () => {
  test("board.local.json's errors are not reported as board.json's", async () => {
    const { buildFirmware } = await import("../../tools/build.ts");
    const file = writeBoard(minimal({ smtp: { helo: "[999.1]" } }), { smtp: { port: 587 } });
    const r = await buildFirmware({ board: file });
    expect(r.ok).toBe(false);
    expect(r.errors.find((e) => e.includes("smtp.port"))).toMatch(/^board\.local\.json: smtp\.port: found 587/);
    expect(r.errors.find((e) => e.includes("smtp.helo"))).toMatch(/board\.json: smtp\.helo: found "\[999\.1\]"/);
  });

  test("a board.local.json that is not JSON is named once, by its own path", async () => {
    const { buildFirmware } = await import("../../tools/build.ts");
    const file = writeBoard(minimal(), {});
    writeFileSync(join(file, "..", "board.local.json"), '{ "smtp": { "port": , } }');
    const r = await buildFirmware({ board: file });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^\/.*board\.local\.json(:\d+:\d+)?: not valid JSON/);
  });
});
