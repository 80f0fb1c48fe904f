// The SMTP client bundled like the firmware and run inside the simulated ESP32 (host-sim): Espruino's
// globals only, latin1 bytes, ≤536-byte data events, the board's TLS, call depth measured. It sends to
// the simulator's smtp-server sink (PIPELINING) and, when installed, to Postfix (CHUNKING).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { createSimBoard, DEFAULT_MAX_DEPTH } from "../../host-sim/board.ts";
import { startSmtpSink } from "../../host-sim/smtp-sink.ts";
import { esbuildOptions } from "../../tools/build.ts";
import { postfixSkipReason, startPostfix } from "../../tools/postfix/postfix.ts";
import { makeStorage } from "../sim/helpers.ts";

const closers: (() => unknown)[] = [];
afterAll(async () => {
  while (closers.length) await closers.pop()!();
});

// Non-ASCII straight from the bundle: the board keeps the UTF-8 bytes of a literal.
const TEXT = "Tür offen.\n.dot line\n" + "long line ".repeat(400) + "\nend";

async function runOnBoard(def: { port: number; user: string; password: string; keepAliveMs: number; subjects: string[] }) {
  const dir = mkdtempSync(join(tmpdir(), "alertmail-smtp-sim-"));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  const opts = esbuildOptions(join(import.meta.dirname, "sim-entry.ts"), join(dir, "app.js"));
  const r = await build({ ...opts, define: { SMTP_SIM: JSON.stringify({ ...def, text: TEXT }) } });
  const code = Buffer.from(r.outputFiles.find((f) => f.path.endsWith("app.js"))!.contents);
  const board = createSimBoard({ storageDir: makeStorage({ ".bootcde": code }) });
  closers.push(() => board.stop());
  board.boot();
  const line = await board.waitForOutput(/^smtp-sim: /, 30000);
  return { board, line };
}

describe("SMTP client inside the simulated board", () => {
  it("sends two mails over implicit TLS with AUTH and PIPELINING to smtp-server", async () => {
    const sink = await startSmtpSink({ users: [{ user: "alarm", password: "s3cret" }], tls: true });
    closers.push(() => sink.close());
    const { board, line } = await runOnBoard({ port: sink.port, user: "alarm", password: "s3cret", keepAliveMs: 0, subjects: ["first", "second ✓"] });
    expect(line).toBe("smtp-sim: sent 2 250,250");
    const got = await sink.waitForMessages(2, 10000);
    expect(got.map((m) => m.parsed.subject)).toEqual(["first", "second ✓"]);
    expect(got[0].parsed.text).toBe(TEXT + "\n");
    expect(got[0].secure).toBe(true);
    expect(board.errors).toEqual([]);
    expect(board.netStats.maxDataEvent).toBeLessThanOrEqual(536);
    expect(board.maxCallDepth).toBeLessThanOrEqual(DEFAULT_MAX_DEPTH);
    console.log(`SMTP in the simulator: deepest call chain ${board.maxCallDepth} frames: ${board.deepestStack}`);
  });

  it.skipIf(postfixSkipReason() !== null)("sends two mails with BDAT to Postfix", async (ctx) => {
    const pf = await startPostfix();
    if (!pf) return ctx.skip();
    closers.push(() => pf.stop());
    const before = pf.messages().length;
    const { board, line } = await runOnBoard({ port: pf.tlsPort, user: pf.user, password: pf.password, keepAliveMs: 0, subjects: ["pf one", "pf two"] });
    expect(line).toBe("smtp-sim: sent 2 250,250");
    const got = await pf.waitForMessages(before + 2, 15000);
    expect(got.length).toBe(before + 2);
    expect(pf.log()).toMatch(/bdat=\d+ rset=1 quit=1/);
    expect(board.errors).toEqual([]);
    expect(board.maxCallDepth).toBeLessThanOrEqual(DEFAULT_MAX_DEPTH);
  });
});
