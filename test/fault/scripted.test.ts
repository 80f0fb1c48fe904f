// Hand-written faults, one behaviour each, against the real firmware/app.js in the simulator: a reply out
// of step, a 3xx where a RCPT reply belongs, a 250 lost in flight, a TLS server that never closes.
import { afterEach, describe, expect, it } from "vitest";
import { describeOutcome, runFaults, sleep, type AlertSpec } from "./rig.ts";
import { startScriptServer, type Script, type ScriptServer } from "./script-server.ts";

const servers: ScriptServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(o: Parameters<typeof startScriptServer>[0]) {
  const s = await startScriptServer(o);
  servers.push(s);
  return s;
}

/** Scripts only the first `times` matching steps; afterwards the normal reply. */
function once(match: (step: string, line: string) => boolean, bytes: string, times = 1, after?: "close" | "stall", accept?: boolean): Script {
  let left = times;
  return (s, normal) => {
    if (left > 0 && match(s.step, s.line)) {
      left--;
      return { bytes: bytes === "NORMAL" ? normal : bytes, after, accept };
    }
    return undefined;
  };
}

/** The faults are over once `n` sessions have ended (then the script goes). */
const afterSessions = (s: ScriptServer, n: number, maxMs = 8000) => async () => {
  const end = Date.now() + maxMs;
  while (s.sessions.filter((x) => x.done).length < n && Date.now() < end) await sleep(20);
};

const alert = (i: number, to: string[]): AlertSpec => ({ subject: `alert ${i}`, body: `Body of alert ${i}.\nSecond line, ünïcode €.\n.a line starting with a dot`, to });

describe("replies out of step (issue 17.1, 17.2)", { timeout: 60000 }, () => {
  // 17.1: an extra 250 early in a pipelined group shifts every later reply by one, so DATA takes a
  // RCPT's 250 and the body is never sent; the alert is erased as sent.
  it("an unsolicited extra 250 in a pipelined group loses nothing (issue 17.1)", async () => {
    // DATA, not BDAT: with CHUNKING the shifted 250 lands on BDAT LAST, which the server accepts too.
    const s = await server({ tls: false, ext: ["PIPELINING", "AUTH PLAIN LOGIN"], script: once((st) => st === "mail", "250 2.1.0 Ok\r\n250 2.0.0 extra, unsolicited\r\n") });
    const r = await runFaults({ server: s, tls: false, alerts: [{ at: 0, alert: alert(1, ["a@x.test", "b@x.test"]) }], faultsOver: afterSessions(s, 1) });
    expect(describeOutcome(r)).toBe("");
  });

  // 17.1: a server answering DATA with 250 (no 354): the firmware counts it accepted and erases it unsent.
  it("a 250 to DATA is a protocol error: the alert is kept and delivered later (issue 17.1)", async () => {
    const s = await server({ tls: true, ext: ["PIPELINING", "AUTH PLAIN LOGIN"], script: once((st) => st === "data", "250 2.0.0 Ok\r\n") });
    const r = await runFaults({ server: s, tls: true, alerts: [{ at: 0, alert: alert(2, ["a@x.test"]) }], faultsOver: afterSessions(s, 1) });
    expect(describeOutcome(r)).toBe("");
  });

  // 17.2: "354" to RCPT is not a permanent refusal; only 5xx is.
  it("a 3xx to RCPT is transient: that recipient still gets the alert (issue 17.2)", async () => {
    const s = await server({ tls: false, script: once((st, l) => st === "rcpt" && l.includes("b@x.test"), "354 go ahead\r\n") });
    const r = await runFaults({ server: s, tls: false, alerts: [{ at: 0, alert: alert(3, ["a@x.test", "b@x.test"]) }], faultsOver: afterSessions(s, 1) });
    expect(describeOutcome(r)).toBe("");
  });

  it("a 5xx to one RCPT: the other recipient gets the alert and the next mail reports the refusal", async () => {
    const s = await server({ tls: true, script: once((st, l) => st === "rcpt" && l.includes("b@x.test"), "550 5.1.1 no such user\r\n") });
    const r = await runFaults({ server: s, tls: true, alerts: [{ at: 0, alert: alert(4, ["a@x.test", "b@x.test"]) }], faultsOver: afterSessions(s, 1) });
    expect(describeOutcome(r)).toBe("");
    // The judge saw b@ undelivered and accepted it only because of the 5xx and the report.
    const delivered = s.deliveries.flatMap((d) => d.to);
    expect(delivered).not.toContain("b@x.test");
    expect(delivered).toContain("a@x.test");
  });
});

describe("a duplicate only where it cannot be avoided, with the same Message-ID", { timeout: 60000 }, () => {
  it("a 250 lost in flight (the server accepted, then the line dropped) is sent again with the same Message-ID", async () => {
    const s = await server({ tls: true, script: once((st) => st === "dot" || st === "bdat-last", "", 1, "close", true) });
    const r = await runFaults({ server: s, tls: true, alerts: [{ at: 0, alert: alert(5, ["a@x.test"]) }], faultsOver: afterSessions(s, 2) });
    expect(describeOutcome(r)).toBe("");
    expect(r.verdict.duplicates).toBe(1);
    expect(r.verdict.idMismatch).toEqual([]);
  });
});

describe("a TLS server that never closes after the board's FIN (issue 17.9)", { timeout: 60000 }, () => {
  // On the real interpreter (2v29) end() closes the socket once its data is out and fires end then
  // close(false) a few ms later, whatever the server does; a new tls.connect works at once.
  it("does not block the next TLS connection: alerts sent one after another all arrive", async () => {
    const s = await server({ tls: true, closeOnClientEnd: false, closeAfterQuit: false });
    const alerts = [0, 1500, 3000].map((at, i) => ({ at, alert: alert(10 + i, ["a@x.test"]) }));
    const r = await runFaults({ server: s, tls: true, alerts, faultsOver: async () => {} });
    expect(r.stuck).toBe(false);
    expect(describeOutcome(r)).toBe("");
    // One connection per alert (then the carrier's): none was refused for another still "open".
    expect(s.deliveries.slice(0, 3).map((d) => d.session)).toEqual([1, 2, 3]);
  });

  it("a kept-alive connection the server stops answering is given up, and the next alert goes out", async () => {
    const s = await server({ tls: true, closeOnClientEnd: false, closeAfterQuit: false });
    const alerts = [0, 2500].map((at, i) => ({ at, alert: alert(20 + i, ["a@x.test"]) }));
    // After the first mail the server goes silent for good on that connection (it stays open).
    let sessionsAtStall = 0;
    s.setScript((st) => {
      if (st.session === 1 && st.index > 0 && s.deliveries.length >= 1) {
        sessionsAtStall = 1;
        return { bytes: "", after: "stall" };
      }
      return undefined;
    });
    const r = await runFaults({ server: s, tls: true, keepAliveSeconds: 5, alerts, faultsOver: async () => {
      for (let i = 0; i < 500 && s.deliveries.length < 2; i++) await sleep(20);
    } });
    expect(sessionsAtStall).toBe(1);
    expect(describeOutcome(r)).toBe("");
  });
});
