// A power cut at every Storage write and erase of a send with a 4xx recipient and a 5xx message, with
// the board's torn-write order, then reboot and drain (test/fault/power.ts): nothing lost, no 0xFF
// garbage sent, every refusal reported, no stuck outbox.
import { describe, expect, it } from "vitest";
import { add, emptyTotals } from "./fuzz.ts";
import { cutPlan, opLabel, powerRun } from "./power.ts";
import { describeOutcome } from "./rig.ts";

describe("power cuts during a send (issue 17.3, 17.4, 17.5)", () => {
  for (const v of [
    { name: "TLS, PIPELINING (DATA)", tls: true, ext: ["PIPELINING", "AUTH PLAIN LOGIN"] },
    { name: "plain, PIPELINING + CHUNKING (BDAT)", tls: false, ext: ["PIPELINING", "CHUNKING", "AUTH PLAIN LOGIN"] },
  ]) {
    it(`${v.name}: a cut at every write and erase loses nothing, sends no garbage, keeps every report`, { timeout: 180000 }, async () => {
      const base = await powerRun({ tls: v.tls, ext: v.ext });
      // Without a cut: A to both (a2 later, alone), B refused and reported.
      expect(describeOutcome(base)).toBe("");
      expect(base.ops.length).toBeGreaterThan(4);
      const plan = cutPlan(base.ops);
      const t = emptyTotals();
      let next = 0;
      const worker = async () => {
        while (next < plan.length) {
          const p = plan[next++];
          const r = await powerRun({ tls: v.tls, ext: v.ext, at: p.at, point: p.point });
          add(t, r, `cut ${p.point} ${opLabel(p.op)}${r.cutAt && r.cutAt.name !== p.op.name ? ` (landed in ${opLabel(r.cutAt)})` : ""}`, describeOutcome);
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      console.log(
        `power cuts (${v.name}): ${base.ops.length} flash ops [${base.ops.map(opLabel).join("; ")}], ${t.runs} cuts; lost alert×recipient pairs ${t.lostPairs}, ` +
          `garbage bodies ${t.garbage} (0xFF on the wire ${t.ffOnWire}), lost reports ${t.lostReports}, stuck outboxes ${t.stuck}, duplicates ${t.duplicates} (other Message-ID ${t.idMismatch})`,
      );
      expect(t.failures).toEqual([]);
    });
  }
});
