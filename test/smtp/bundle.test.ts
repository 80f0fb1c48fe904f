// The SMTP client as the board gets it: bundled with the firmware's esbuild settings, it passes the
// bundle check (docs/espruino.md) and stays small; the size is printed for the report.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkBundleFile, formatHit } from "../../tools/bundle-check.ts";
import { build } from "esbuild";
import { esbuildOptions } from "../../tools/build.ts";

const dir = mkdtempSync(join(tmpdir(), "alertmail-smtp-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Minified bytes of src/smtp + the socket/timer platform files, as esbuild attributes them. */
const BUDGET = 7.5 * 1024;

describe("SMTP client bundle", () => {
  it("passes the bundle check and stays within its byte budget", async () => {
    const outfile = join(dir, "smtp.js");
    const r = await build(esbuildOptions(join(import.meta.dirname, "bundle-entry.ts"), outfile));
    for (const f of r.outputFiles) writeFileSync(f.path, f.contents);
    const out = Object.values(r.metafile.outputs).find((o) => o.entryPoint)!;
    const share: Record<string, number> = {};
    for (const [file, v] of Object.entries(out.inputs)) share[file.replace(/^.*?(src\/)/, "$1")] = v.bytesInOutput;
    const smtp = Object.entries(share)
      .filter(([f]) => f.startsWith("src/smtp/") || f === "src/platform/socket.ts" || f === "src/platform/timers.ts")
      .reduce((n, [, b]) => n + b, 0);
    console.log(`SMTP client: ${smtp} bytes minified (${JSON.stringify(share)}); bundle ${readFileSync(outfile).length} bytes`);
    const hits = checkBundleFile(outfile);
    expect(hits.map((h) => formatHit(h, "smtp.js"))).toEqual([]);
    expect(smtp).toBeLessThanOrEqual(BUDGET);
  });
});
