// `npm test`'s share of the reply fuzzing: a few hundred SMTP sessions against the real firmware in the
// simulator, seeded (the same seeds every run), judged by reboot and drain. `npm run soak` runs thousands.
import { describe, expect, it } from "vitest";
import { fuzzCampaign } from "./fuzz.ts";
import { describeOutcome } from "./rig.ts";

/** Seeds of this suite; FAULT_SEEDS=first:count runs others (a failing seed from the soak, say). */
const [FIRST, RUNS] = (process.env.FAULT_SEEDS ?? "1:50").split(":").map(Number);

describe("SMTP reply fuzzing against the real firmware (issue 17)", () => {
  it(`seeds ${FIRST}..${FIRST + RUNS - 1}: nothing lost, no garbage, every refusal reported, no stuck outbox`, { timeout: 240000 }, async () => {
    const t = await fuzzCampaign({ first: FIRST, runs: RUNS, concurrency: 8, describe: describeOutcome });
    console.log(
      `fault fuzz: ${t.runs} runs, ${t.sessions} SMTP sessions; lost alert×recipient pairs ${t.lostPairs}, garbage bodies ${t.garbage} (0xFF on the wire ${t.ffOnWire}), ` +
        `lost reports ${t.lostReports}, stuck outboxes ${t.stuck} (after reboot ${t.stuckAfterReboot}), duplicates ${t.duplicates} (other Message-ID ${t.idMismatch}), firmware errors ${t.firmwareErrors}`,
    );
    expect(t.sessions).toBeGreaterThan(RUNS * 3);
    expect(t.failures).toEqual([]);
  });
});
