// npm run soak: the fault suite at length. Thousands of seeded, fuzzed SMTP sessions (test/fault/fuzz.ts)
// and a power cut at every Storage write and erase of a send (test/fault/power.ts), all against the real
// firmware/app.js in the simulator, each run judged by reboot and drain. Prints the totals and every
// failing seed; exits 1 if anything was lost, garbled, unreported or stuck.
//   npm run soak                       # 700 fuzz runs (~3,500 sessions), every fault kind at every
//                                      # reply in three variants, and the power-cut plan
//   npm run soak -- --runs 100 --first 5000 --concurrency 4 --no-steps --no-power
// A failing seed replays alone: FAULT_SEEDS=<seed>:1 npx vitest run test/fault/fuzz.test.ts
import { parseArgs } from "node:util";
import { buildFirmware } from "./build.ts";
import { add, emptyTotals, FAULT_KINDS, fuzzCampaign, stepSweep, type Totals } from "../test/fault/fuzz.ts";
import { cutPlan, opLabel, powerRun } from "../test/fault/power.ts";
import { describeOutcome } from "../test/fault/rig.ts";

function line(name: string, t: Totals): string {
  return (
    `${name}: ${t.runs} runs, ${t.sessions} SMTP sessions; lost alert×recipient pairs ${t.lostPairs}, garbage bodies ${t.garbage} (0xFF on the wire ${t.ffOnWire}), ` +
    `lost reports ${t.lostReports}, stuck outboxes ${t.stuck} (after reboot ${t.stuckAfterReboot}), duplicates ${t.duplicates} ` +
    `(other Message-ID ${t.idMismatch}), firmware errors ${t.firmwareErrors}`
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "700" },
      first: { type: "string", default: "1000" },
      concurrency: { type: "string", default: "6" },
      "no-power": { type: "boolean", default: false },
      "no-steps": { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
    },
  });
  if (!values["no-build"]) {
    const b = await buildFirmware();
    if (!b.ok) {
      console.error(`soak: the firmware does not build (${b.stage}):\n${b.errors.join("\n")}`);
      return 2;
    }
  }
  const started = Date.now();
  const runs = Number(values.runs);
  let done = 0;
  const fuzz = await fuzzCampaign({
    first: Number(values.first),
    runs,
    concurrency: Number(values.concurrency),
    describe: describeOutcome,
    onRun: () => {
      if (++done % 50 === 0) process.stdout.write(`  ${done}/${runs} fuzz runs\n`);
    },
  });
  console.log(line("fuzzing", fuzz));
  const all = [fuzz];
  if (!values["no-steps"]) {
    // Every fault kind at every reply of a session, in three server variants.
    for (const variant of [
      { name: "every step, TLS, PIPELINING, DATA, keep-alive", tls: true, keepAliveSeconds: 1, ext: ["PIPELINING", "AUTH PLAIN LOGIN"] },
      { name: "every step, plain, PIPELINING + CHUNKING", tls: false, keepAliveSeconds: 0, ext: ["PIPELINING", "CHUNKING", "AUTH PLAIN LOGIN"] },
      { name: "every step, TLS, no PIPELINING, AUTH LOGIN", tls: true, keepAliveSeconds: 0, ext: ["AUTH LOGIN"] },
    ]) {
      const t = await stepSweep({ variant, kinds: FAULT_KINDS, indexes: 14, concurrency: Number(values.concurrency), describe: describeOutcome });
      console.log(line(variant.name, t));
      all.push(t);
    }
  }
  if (!values["no-power"]) {
    for (const v of [
      { name: "power cuts, TLS, DATA", tls: true, ext: ["PIPELINING", "AUTH PLAIN LOGIN"] },
      { name: "power cuts, plain, BDAT", tls: false, ext: ["PIPELINING", "CHUNKING", "AUTH PLAIN LOGIN"] },
      { name: "power cuts, TLS, no PIPELINING", tls: true, ext: ["AUTH PLAIN"] },
    ]) {
      const base = await powerRun({ tls: v.tls, ext: v.ext });
      const t = emptyTotals();
      add(t, base, "no cut", describeOutcome);
      for (const p of cutPlan(base.ops)) {
        const r = await powerRun({ tls: v.tls, ext: v.ext, at: p.at, point: p.point });
        add(t, r, `cut ${p.point} ${opLabel(p.op)}`, describeOutcome);
      }
      console.log(line(v.name, t));
      all.push(t);
    }
  }
  const failures = all.flatMap((t) => t.failures);
  for (const f of failures) console.log("FAIL " + f);
  console.log(`soak: ${failures.length ? failures.length + " failing run(s)" : "no failures"} in ${Math.round((Date.now() - started) / 1000)} s`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
