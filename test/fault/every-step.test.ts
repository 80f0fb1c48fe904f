// Close, 421 and stall at every reply of a session (greeting to QUIT) with two alerts in one batch,
// against the real firmware in the simulator; `npm run soak` sweeps every fault kind in more variants.
import { describe, expect, it } from "vitest";
import { stepSweep } from "./fuzz.ts";
import { describeOutcome } from "./rig.ts";

describe("close, 421 and stall at every step (issue 17)", () => {
  it("TLS, PIPELINING, DATA: nothing lost, every alert delivered once the server behaves", { timeout: 180000 }, async () => {
    const t = await stepSweep({
      variant: { name: "TLS, PIPELINING", tls: true, keepAliveSeconds: 0, ext: ["PIPELINING", "AUTH PLAIN LOGIN"] },
      kinds: ["close", "421", "stall"],
      indexes: 12,
      concurrency: 8,
      describe: describeOutcome,
    });
    console.log(
      `every step: ${t.runs} runs, ${t.sessions} SMTP sessions; lost alert×recipient pairs ${t.lostPairs}, garbage bodies ${t.garbage} (0xFF on the wire ${t.ffOnWire}), lost reports ${t.lostReports}, ` +
        `stuck outboxes ${t.stuck} (after reboot ${t.stuckAfterReboot}), duplicates ${t.duplicates} (other Message-ID ${t.idMismatch})`,
    );
    expect(t.runs).toBe(36);
    expect(t.failures).toEqual([]);
  });
});
