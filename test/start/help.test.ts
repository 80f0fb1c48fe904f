// --help lists every option with what it does (issue 14 item 10): npm start's and npm run flash's; and
// npm run flash -- --out says that the file it writes holds the passwords.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../tools/build.ts";

/** The options a CLI's source reads: `a === "--x"` (host-sim/cli.ts) or parseArgs's `name: { type` (tools/*.ts). */
function optionsRead(file: string): string[] {
  const src = readFileSync(join(ROOT, file), "utf8");
  const compared = [...src.matchAll(/a === "(--[a-z-]+)"/g)].map((m) => m[1]);
  const parsed = [...src.matchAll(/^\s+"?([a-z][a-z-]*)"?: \{ type: "(string|boolean)"/gm)].map((m) => `--${m[1]}`);
  return [...new Set([...compared, ...parsed])];
}

function helpOf(script: string): string {
  const r = spawnSync("npm", ["run", "--silent", script, "--", "--help"], { cwd: ROOT, encoding: "utf8" });
  expect(r.status).toBe(0);
  return r.stdout;
}

/** Each option starts a line of the help, followed by words saying what it does. */
function expectDocumented(help: string, options: string[]) {
  expect(options.length).toBeGreaterThan(3);
  for (const o of options) {
    const line = help.split("\n").find((l) => new RegExp(`^\\s+${o}(\\b|,| )`).test(l));
    expect(line, `${o} in:\n${help}`).toBeDefined();
    expect(line!.replace(o, "").replace(/[A-Z]+(\s|$)/g, "").trim().length, o).toBeGreaterThan(15);
  }
}

describe("--help", { timeout: 60000 }, () => {
  it("npm start -- --help lists every option the simulator reads, each with what it does", () => {
    const help = helpOf("start");
    expectDocumented(help, optionsRead("host-sim/cli.ts"));
    expect(help.split("\n").length).toBeGreaterThan(10);
  });

  it("npm run flash -- --help and npm run log -- --help do the same", () => {
    expectDocumented(helpOf("flash"), optionsRead("tools/flash.ts"));
    expectDocumented(helpOf("log"), optionsRead("tools/log.ts"));
  });

  it("npm run flash -- --out says, in its help and when it writes the file, that the file holds the passwords (base64)", () => {
    expect(helpOf("flash")).toMatch(/--out FILE[^]*PASSWORDS[^]*base64/);
    const dir = mkdtempSync(join(tmpdir(), "alertmail-out-"));
    try {
      const file = join(dir, "upload.txt");
      const r = spawnSync("npm", ["run", "--silent", "flash", "--", "--out", file, "--no-build"], { cwd: ROOT, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/holds the configuration WITH ITS PASSWORDS \(WiFi and SMTP, base64-encoded, not encrypted\)/);
      // And it is true: the SMTP password is in the file, base64-encoded.
      const written = readFileSync(file, "latin1");
      const decoded = [...written.matchAll(/atob\("([^"]*)"\)/g)].map((m) => Buffer.from(m[1], "base64").toString("latin1")).join("");
      expect(decoded).toContain("demo-password");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
