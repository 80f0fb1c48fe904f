// Seeded, bounded SMTP reply fuzzing against the real firmware in the simulator. Each run (one seed) picks
// TLS or plain, keep-alive or not, the extensions offered, 1-3 alerts with 1-2 recipients each, and a
// few faulty sessions; each faulty session breaks one or two of its replies (a random code, a broken
// multi-line reply, a line of up to 100 KB, bare LF, a NUL, an extra unsolicited reply, an early
// talker, close / 421 / stall, a 250 lost in flight); then the server behaves and the run is judged by
// reboot and drain (rig.ts). The same seed gives the same faults.
import { outbox, runFaults, type AlertSpec, type RunOutcome } from "./rig.ts";
import { firstReplyCode, startScriptServer, type Answer, type Script, type StepInfo } from "./script-server.ts";

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

export const FAULT_KINDS = ["code", "multiline", "long", "bare-lf", "nul", "extra-before", "extra-after", "early", "close", "421", "stall", "cut-line", "lost-250"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const CODES = [200, 211, 220, 221, 235, 250, 251, 252, 334, 354, 421, 450, 451, 452, 454, 500, 501, 502, 503, 504, 530, 535, 550, 551, 552, 553, 554];

function randomReply(r: () => number): string {
  const c = pick(r, CODES);
  return `${c} ${c >= 500 ? "5" : c >= 400 ? "4" : "2"}.0.0 fuzz ${Math.floor(r() * 1e6)}\r\n`;
}

/** One broken reply in place of `normal` at a step; `code` says what the server means by it. */
export function breakReply(kind: FaultKind, r: () => number, s: StepInfo, normal: string): Answer {
  const meant = firstReplyCode(normal);
  switch (kind) {
    case "code":
      return { bytes: randomReply(r) };
    case "multiline": {
      const code = normal.slice(0, 3);
      const other = randomReply(r);
      return pick(r, [
        { bytes: `${code}-first line\r\n`, code: meant }, // never completed
        { bytes: `${code}-first line\r\n${other}`, code: firstReplyCode(other) }, // the last line has another code
        { bytes: `${code}-a\r\n${code}-b\r\n${code}x broken separator\r\n`, code: meant },
        { bytes: `${code}-a\r\n\r\n${normal}`, code: meant }, // an empty line inside
      ]);
    }
    case "long":
      return { bytes: `${normal.slice(0, 3)} ${"x".repeat(Math.floor(1000 + r() * 99000))}\r\n`, code: meant };
    case "bare-lf":
      return { bytes: normal.replace(/\r\n/g, "\n"), code: meant };
    case "nul":
      return { bytes: normal.slice(0, 4) + "\0" + normal.slice(4), code: meant };
    case "extra-before":
      return { bytes: randomReply(r) + normal, code: meant };
    case "extra-after":
      return { bytes: normal + randomReply(r), code: meant };
    case "early":
      // Answers the next command before it is sent (an "early talker"); the script swallows that reply.
      return { bytes: normal + (s.step === "greeting" ? "250-script.test\r\n250 PIPELINING\r\n" : "250 2.0.0 Ok (early)\r\n"), code: meant };
    case "close":
      return { bytes: "", after: "close" };
    case "421":
      return { bytes: "421 4.3.2 Service shutting down\r\n", after: "close" };
    case "stall":
      return { bytes: "", after: "stall" };
    case "cut-line":
      // The server decided (a message accepted, say) and the line dropped half-way through its reply.
      return { bytes: normal.slice(0, Math.max(1, Math.floor(normal.length / 2))), after: "close", code: meant };
    case "lost-250":
      // The server accepts the message, then the line drops before the reply gets out.
      return s.step === "dot" || s.step === "bdat-last" ? { bytes: "", after: "close", accept: true } : { bytes: "", after: "close" };
  }
}

/** A faulty session's script: one or two faults at random steps (0 = greeting). */
export function faultySession(r: () => number): { script: Script; plan: string } {
  const faults = new Map<number, FaultKind>();
  const n = r() < 0.3 ? 2 : 1;
  for (let i = 0; i < n; i++) faults.set(Math.floor(r() * 9), pick(r, FAULT_KINDS));
  let swallow = false;
  const script: Script = (s, normal) => {
    if (swallow) {
      swallow = false;
      return { bytes: "", accept: true };
    }
    const kind = faults.get(s.index);
    if (!kind) return undefined;
    const a = breakReply(kind, r, s, normal);
    if (kind === "early") swallow = true;
    return a;
  };
  return { script, plan: [...faults].map(([i, k]) => `${k}@${i}`).join(",") };
}

const LINES = [
  "The door is open.",
  "Température: -18,5 °C — ça gèle",
  "温度警报：冷冻室",
  ".a line that starts with a dot",
  "..two dots",
  ".",
  "From the garage",
  "trailing spaces   ",
  "",
  "tab\tseparated\tvalues",
  "=3D looks like quoted-printable",
  "a long line " + "0123456789".repeat(150),
];

function body(r: () => number): string {
  const n = 1 + Math.floor(r() * 6);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(pick(r, LINES));
  const b = out.join("\n");
  return b.trim() ? b : "empty-looking body";
}

export interface FuzzSpec {
  seed: number;
  tls: boolean;
  keepAliveSeconds: number;
  ext: string[];
  alerts: { at: number; alert: AlertSpec }[];
  faultySessions: number;
}

export function fuzzSpec(seed: number): FuzzSpec {
  const r = prng(seed);
  const tls = r() < 0.5;
  const keepAliveSeconds = r() < 0.35 ? 1 : 0;
  const ext = pick(r, [
    ["PIPELINING", "CHUNKING", "AUTH PLAIN LOGIN", "8BITMIME"],
    ["PIPELINING", "AUTH PLAIN LOGIN", "SIZE 10240000"],
    ["PIPELINING", "AUTH=LOGIN"],
    ["AUTH PLAIN"],
    ["AUTH LOGIN", "CHUNKING"],
  ]);
  const nAlerts = 1 + Math.floor(r() * 3);
  const alerts = [];
  for (let i = 0; i < nAlerts; i++) {
    const to = [`s${seed}a${i}r0@x.test`];
    if (r() < 0.5) to.push(`s${seed}a${i}r1@x.test`);
    alerts.push({ at: Math.floor(r() * 800), alert: { subject: `fuzz ${seed} alert ${i}`, body: body(r), to } });
  }
  return { seed, tls, keepAliveSeconds, ext, alerts, faultySessions: 3 + Math.floor(r() * 6) };
}

export interface FuzzResult extends RunOutcome {
  spec: FuzzSpec;
  plans: string[];
}

/** One seeded run: faulty sessions first, then a well-behaved server; judged by reboot and drain. */
export async function fuzzRun(seed: number, log?: (l: string) => void): Promise<FuzzResult> {
  const spec = fuzzSpec(seed);
  const r = prng(seed ^ 0x5eed);
  const plans: string[] = [];
  const server = await startScriptServer({ tls: spec.tls, ext: spec.ext });
  const scripts = new Map<number, Script>();
  server.setScript((s, normal) => {
    if (s.session > spec.faultySessions) return undefined;
    let sc = scripts.get(s.session);
    if (!sc) {
      const f = faultySession(r);
      plans.push(f.plan);
      sc = f.script;
      scripts.set(s.session, sc);
    }
    return sc(s, normal);
  });
  try {
    const out = await runFaults({
      server,
      tls: spec.tls,
      keepAliveSeconds: spec.keepAliveSeconds,
      alerts: spec.alerts,
      // Faults end once the faulty sessions are over (or after a bounded time: a firmware that stops
      // connecting must not hang the suite), or once the outbox is empty with no connection open.
      faultsOver: async (board) => {
        const end = Date.now() + 4000 + spec.faultySessions * 1500;
        while (Date.now() < end) {
          const done = server.sessions.filter((x) => x.done).length;
          if (done >= spec.faultySessions) break;
          const ob = outbox(board);
          if (ob.queued === 0 && !ob.sending && server.open() === 0) break;
          await new Promise((res) => setTimeout(res, 25));
        }
      },
      log,
    });
    return { ...out, spec, plans };
  } finally {
    await server.close();
  }
}

export interface Totals {
  runs: number;
  sessions: number;
  lostPairs: number;
  /** Delivered mails that are not an alert's exact body (plus a report), or no alert's at all. */
  garbage: number;
  /** Bodies that went out (accepted or not) holding a 0xFF byte. */
  ffOnWire: number;
  lostReports: number;
  stuck: number;
  stuckAfterReboot: number;
  duplicates: number;
  idMismatch: number;
  firmwareErrors: number;
  /** One line per failing run: seed and what went wrong. */
  failures: string[];
}

export function emptyTotals(): Totals {
  return { runs: 0, sessions: 0, lostPairs: 0, garbage: 0, ffOnWire: 0, lostReports: 0, stuck: 0, stuckAfterReboot: 0, duplicates: 0, idMismatch: 0, firmwareErrors: 0, failures: [] };
}

export function add(t: Totals, r: RunOutcome, label: string, describe: (r: RunOutcome) => string) {
  t.runs++;
  t.sessions += r.sessions;
  t.lostPairs += r.verdict.lost.length;
  t.garbage += r.verdict.garbage.length + r.verdict.unknown.length;
  t.ffOnWire += r.verdict.ffOnWire;
  t.lostReports += r.verdict.lostReports.length;
  t.stuck += r.stuck ? 1 : 0;
  t.stuckAfterReboot += r.stuckAfterReboot ? 1 : 0;
  t.duplicates += r.verdict.duplicates;
  t.idMismatch += r.verdict.idMismatch.length;
  t.firmwareErrors += r.errors.length;
  const d = describe(r);
  if (d) t.failures.push(`${label}: ${d.replace(/\n/g, "; ")}`);
}

/** Runs seeds [first, first + runs) with `concurrency` boards at once. */
export async function fuzzCampaign(o: { first: number; runs: number; concurrency: number; describe: (r: RunOutcome) => string; onRun?: (r: FuzzResult) => void }): Promise<Totals> {
  const t = emptyTotals();
  let next = o.first;
  const end = o.first + o.runs;
  async function worker() {
    while (next < end) {
      const seed = next++;
      const r = await fuzzRun(seed);
      add(t, r, `seed ${seed} (${r.spec.tls ? "tls" : "plain"}, keep-alive ${r.spec.keepAliveSeconds}, ${r.spec.ext.join(" ")}; faults ${r.plans.join(" | ")})`, o.describe);
      o.onRun?.(r);
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return t;
}

export interface StepVariant {
  name: string;
  tls: boolean;
  keepAliveSeconds: number;
  ext: string[];
}

/** Two alerts sent in one batch (3 recipients): about 12 replies per session, greeting to QUIT. */
const STEP_ALERTS = (tag: string): { at: number; alert: AlertSpec }[] => [
  { at: 0, alert: { subject: `step ${tag} one`, body: "First alert.\n.dot line\nünïcödé €", to: [`${tag}-1a@x.test`, `${tag}-1b@x.test`] } },
  { at: 0, alert: { subject: `step ${tag} two`, body: "Second alert.", to: [`${tag}-2a@x.test`] } },
];

/** One run with exactly one fault: `kind` at reply `index` (0 = greeting) of the first session. */
export async function stepRun(v: StepVariant, kind: FaultKind, index: number): Promise<RunOutcome> {
  const r = prng(index * 131 + FAULT_KINDS.indexOf(kind));
  const server = await startScriptServer({ tls: v.tls, ext: v.ext });
  let swallow = false;
  server.setScript((s, normal) => {
    if (s.session !== 1) return undefined;
    if (swallow) {
      swallow = false;
      return { bytes: "", accept: true };
    }
    if (s.index !== index) return undefined;
    if (kind === "early") swallow = true;
    return breakReply(kind, r, s, normal);
  });
  try {
    return await runFaults({
      server,
      tls: v.tls,
      keepAliveSeconds: v.keepAliveSeconds,
      alerts: STEP_ALERTS(`${kind}-${index}-${server.port}`),
      faultsOver: async (board) => {
        const end = Date.now() + 6000;
        while (Date.now() < end && !server.sessions[0]?.done) {
          const ob = outbox(board);
          if (ob.queued === 0 && !ob.sending && server.open() === 0) break;
          await new Promise((res) => setTimeout(res, 25));
        }
      },
    });
  } finally {
    await server.close();
  }
}

/** Every (kind, index) pair of a sweep, run `concurrency` at a time. */
export async function stepSweep(o: { variant: StepVariant; kinds: readonly FaultKind[]; indexes: number; concurrency: number; describe: (r: RunOutcome) => string }): Promise<Totals> {
  const t = emptyTotals();
  const plan = o.kinds.flatMap((k) => Array.from({ length: o.indexes }, (_, i) => [k, i] as const));
  let next = 0;
  async function worker() {
    while (next < plan.length) {
      const [kind, index] = plan[next++];
      add(t, await stepRun(o.variant, kind, index), `${o.variant.name}: ${kind} at reply ${index}`, o.describe);
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return t;
}
