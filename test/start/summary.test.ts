// npm start's summary pairs each alert with its own outcome when sends fail (issue 14 item 1): a wrong
// password (535) and a server that is down, with --real against servers on 127.0.0.1.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { startSmtpSink } from "../../host-sim/smtp-sink.ts";
import { boardVariant, start } from "./support.ts";

/** The summary's line for one alert. */
const rowOf = (lines: string[], alert: string) => lines.find((l) => l.startsWith(`✘ ${alert}:`) || l.startsWith(`✔ ${alert}:`)) ?? "";

const OWN_SUBJECT: Record<string, RegExp> = {
  restart: /"Garage restarted"/,
  door: /"Garage: door (low|high)"/,
  freezer: /"Garage: freezer at /,
  daily: /"Garage is alive"/,
};
const OTHERS = (alert: string) => Object.entries(OWN_SUBJECT).filter(([a]) => a !== alert).map(([, re]) => re);

describe("npm start's summary when sends fail", { timeout: 240000 }, () => {
  it("a wrong password (535): each alert shows its own failure, never another alert's", async () => {
    const server = await startSmtpSink({ users: [{ user: "alarm@example.com", password: "the-right-one" }] });
    try {
      const board = boardVariant((b) => {
        b.smtp.host = "127.0.0.1";
        b.smtp.port = server.port;
        b.smtp.password = "a-wrong-one";
      });
      const r = await start(["--real", "--board", board, "--wait", "20"]);
      expect(r.code).toBe(1);
      for (const alert of Object.keys(OWN_SUBJECT)) {
        const row = rowOf(r.lines, alert);
        expect(row, alert).toMatch(new RegExp(`^✘ ${alert}: .* → failed `));
        expect(row, alert).toMatch(OWN_SUBJECT[alert]);
        expect(row, alert).toMatch(/535/);
        for (const other of OTHERS(alert)) expect(row, alert).not.toMatch(other);
      }
      expect(server.messages).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it("a server that is down: each alert shows its own failure", async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const board = boardVariant((b) => {
      b.smtp.host = "127.0.0.1";
      b.smtp.port = port;
      b.outbox = { retrySeconds: 600, maxRetrySeconds: 600 };
    });
    const r = await start(["--real", "--board", board, "--wait", "20"]);
    expect(r.code).toBe(1);
    for (const alert of Object.keys(OWN_SUBJECT)) {
      const row = rowOf(r.lines, alert);
      expect(row, alert).toMatch(new RegExp(`^✘ ${alert}: `));
      for (const other of OTHERS(alert)) expect(row, alert).not.toMatch(other);
    }
    // The boot alert's failure is its own.
    expect(rowOf(r.lines, "restart")).toMatch(/→ failed "Garage restarted"/);
  });
});
