// The real-interpreter part of bench/RESULTS.md and of the README summary: memory measured on
// Espruino's own interpreter, where the variables go, and issue 12's latency table, with targets.
import type { RealLatencyRow, RealResults } from "./real-side.ts";
import type { Side, TargetCheck } from "./report.ts";
import { fmtCount, fmtMs, fmtRatio, median, ratio, summarize } from "./stats.ts";

/** An ESP32 without PSRAM: about 3,400 variables; issue 11 asks for half of it. */
const HALF_BOARD = 1700;
const REST_TARGET = 1000;
/** Issue 11: the whole firmware, every feature, in 16 KB. */
const CODE_TARGET_BYTES = 16384;

type Real = RealResults | { skipped: string } | undefined;

function msMedian(s: Side): number | null {
  return s.trials.length && !s.skipped ? median(s.trials.map((t) => t.ms)) : null;
}

function cell(s: Side, f: (s: Side) => string): string {
  if (s.skipped) return s.skipped;
  if (!s.trials.length) return `failed: ${s.errors[0] ?? "no trials"}`;
  return f(s) + (s.errors.length ? ` (${s.errors.length} failed: ${s.errors[0]})` : "");
}

const timeCell = (s: Side) => cell(s, (x) => fmtMs(summarize(x.trials.map((t) => t.ms))));
const flightCell = (s: Side, warm: boolean) => cell(s, (x) => fmtCount(summarize(x.trials.map((t) => (warm ? t.flights : t.flightsAfterTls)))));

function find(r: RealResults, kind: "cold" | "warm", trigger: string, delayMs: number): RealLatencyRow | undefined {
  return r.latency.find((x) => x.kind === kind && x.trigger.startsWith(trigger) && x.delayMs === delayMs);
}

const peakOf = (r: RealResults, re: RegExp, tls = false) => {
  if ("skipped" in r.memory) return null;
  return (tls ? r.memory.tls : r.memory.plain).peaks.find((p) => re.test(p.scenario))?.peak ?? null;
};
const restOf = (r: RealResults) => ("skipped" in r.memory ? null : r.memory.plain.rest);

/** Issue 11 and 12 targets on the real interpreter. */
export function realTargets(real: Real): TargetCheck[] {
  const out: TargetCheck[] = [];
  const why = !real ? "ESPRUINO not set" : "skipped" in real ? real.skipped : "";
  const add = (target: string, v: number | null, fmt: (v: number) => string, ok: (v: number) => boolean, missing = why) =>
    out.push({ target, measured: v == null ? missing || "—" : fmt(v), verdict: v == null ? "not measured" : ok(v) ? "met" : "NOT met" });
  const r = real && !("skipped" in real) ? real : null;
  add(`real interpreter, plain relay: variables at rest ≤ ${REST_TARGET}`, r && restOf(r), (v) => `${v}`, (v) => v <= REST_TARGET);
  add(`real interpreter, plain relay: peak during a 20 KB HTML alert ≤ ${HALF_BOARD}`, r && peakOf(r, /send\(\{html\}\) of 2\d{4} bytes/), (v) => `${v}`, (v) => v <= HALF_BOARD);
  // Which build timed the rows (the native timing build, or the ESP32-format one).
  const on = r ? ` (${timingOf(r).label})` : "";
  const rat = (kind: "cold" | "warm", trig: string, d: number) => {
    const row = r && find(r, kind, trig, d);
    return row ? ratio(msMedian(row.alertmail), msMedian(row.nodemailer)) : null;
  };
  add("real interpreter: a rule's alert (shipped defaults), cold, 100 ms RTT ≤ 1.0 × nodemailer", rat("cold", "alertmail.fire", 50), (v) => `${v.toFixed(2)}×${on}`, (v) => v <= 1.0);
  add("real interpreter: a rule's alert (shipped defaults), warm, 100 ms RTT ≤ 0.55 × pooled nodemailer", rat("warm", "alertmail.fire", 50), (v) => `${v.toFixed(2)}×${on}`, (v) => v <= 0.55);
  const w0 = r && find(r, "warm", "alertmail.test", 0);
  add("real interpreter: warm alert, no added delay ≤ 12 ms", w0 ? msMedian(w0.alertmail) : null, (v) => `${v.toFixed(0)} ms${on}`, (v) => v <= 12);
  const c0 = r && find(r, "cold", "alertmail.test", 0);
  const hs = c0?.handshakeMs?.length ? median(c0.handshakeMs) : null;
  const c0ms = c0 ? msMedian(c0.alertmail) : null;
  add(
    "real interpreter: cold alert, no added delay ≤ TLS handshake + 30 ms",
    c0ms != null && hs != null ? c0ms - hs : null,
    (v) => `${v.toFixed(0)} ms beyond the handshake (${c0ms!.toFixed(0)} ms in all, handshake ${hs!.toFixed(0)} ms)${on}`,
    (v) => v <= 30,
  );
  return out;
}

/** The build that timed the latency rows: the native timing build, or the memory build when there is none. */
export function timingOf(real: RealResults): { interpreter: string; label: string; native: boolean; why: string } {
  return (
    real.timing ?? {
      interpreter: real.interpreter,
      label: /qemu/.test(real.interpreter) ? "ESP32-format build under qemu (no native build)" : "ESP32-format build",
      native: false,
      why: /qemu/.test(real.interpreter) ? "no native timing build in this run (`bash tools/espruino/build-interpreter.sh --native /path/to/Espruino` makes one): times are under qemu user-mode emulation, compare ratios within this run" : "the ESP32-format build runs natively here",
    }
  );
}

/** Short label of the build that measured the variables. */
function memoryLabel(real: RealResults): string {
  return `ESP32-format build${/qemu/.test(real.interpreter) ? " under qemu" : ""} (variables)`;
}

function latencyTable(rows: RealLatencyRow[], fallbackBuild: string): string[] {
  const head = "| alert | server (offers) | one-way delay | alertmail trigger→250 | alertmail flights | nodemailer send→250 | nodemailer flights | ratio | interpreter build |";
  const lines = [head, head.replace(/[^|]+/g, " --- ")];
  for (const x of rows) {
    const warm = x.kind === "warm";
    const hs = x.handshakeMs?.length ? `; TLS handshake ${median(x.handshakeMs).toFixed(0)} ms` : "";
    lines.push(
      `| ${x.kind} ${x.trigger} | ${x.server} (${x.offers}) | ${x.delayMs} ms | ${timeCell(x.alertmail)}${hs} | ${flightCell(x.alertmail, warm)}${warm ? "" : " after TLS"} | ${timeCell(x.nodemailer)}${warm ? " (pool)" : ""} | ${flightCell(x.nodemailer, warm)}${warm ? "" : " after TLS"} | ${fmtRatio(ratio(msMedian(x.alertmail), msMedian(x.nodemailer)))} | ${x.build ?? fallbackBuild} |`,
    );
  }
  return lines;
}

/** The section of RESULTS.md. */
export function renderRealSection(real: Real): string[] {
  const title = "## 0. On Espruino's own interpreter (the real lane)";
  if (!real || "skipped" in real)
    return [
      title,
      "",
      `Not run: ${real && "skipped" in real ? real.skipped : "ESPRUINO is not set"}. Build the interpreter with \`bash tools/espruino/build-interpreter.sh /path/to/Espruino\` (and \`--native\` for a timing build beside it) and run \`ESPRUINO=/path/to/espruino npm run bench\`; until then the variable figures in section 4 are the per-KB estimate, the fallback.`,
      "",
    ];
  const timing = timingOf(real);
  const out = [
    title,
    "",
    `Variables: ${real.interpreter}: the PC build in the ESP32's variable format (14-byte variables, a fixed pool), firmware/app.js flashed with \`npm run flash -- --allow-sim\` over its telnet console, the shipped board.json pointed at 127.0.0.1, WiFi/analog/pin stand-ins in \`.boot0\` (test/real/harness.ts). Variable counts are exact.`,
    "",
    timing.native
      ? `Times: ${timing.interpreter}, the ${timing.label}: ${timing.why}. Its times are those of a PC core running Espruino's interpreter natively (an ESP32 is many times slower); the flashing, stand-ins and probes are the same.`
      : `Times: ${timing.interpreter} (${timing.label}): ${timing.why}.${/qemu/.test(timing.interpreter) ? " Times are those of a PC core under user-mode emulation, many times slower than native: compare ratios within this run, not absolute times." : ""}`,
    "",
  ];
  if ("skipped" in real.memory) out.push(`Memory: ${real.memory.skipped}`, "");
  else {
    const m = real.memory;
    out.push(
      "### Variables",
      "",
      `Measured on the ${memoryLabel(real)}. process.memory().usage at rest; the peak is process.memory(false).usage sampled every 5 ms inside the interpreter from the trigger until the firmware logged "sent" (the caller's HTML string dropped first). The \`.boot0\` stand-ins' own variables are taken out. On this build mbedtls takes its memory from the variables (on an ESP32 it does not), so TLS is reported apart.`,
      "",
      "| measure | plain relay | implicit TLS (mbedtls on this build's variables) | target (plain) |",
      "| --- | --- | --- | --- |",
      `| at rest, shipped rules (${m.plain.codeBytes} B of code, ${m.plain.configBytes} B alertmail.json) | ${m.plain.rest} | ${m.tls.rest} | ≤ ${REST_TARGET} |`,
      `| at rest, no rules (${m.plainNoRules.configBytes} B alertmail.json) | ${m.plainNoRules.rest} | — | |`,
    );
    for (const p of m.plain.peaks) {
      const t = m.tls.peaks.find((x) => x.scenario === p.scenario);
      out.push(`| peak, ${p.scenario} (outbox file ${p.outboxBytes} B, ${p.samples} samples) | ${p.peak} | ${t ? t.peak : "—"} | ${/2\d{4} bytes/.test(p.scenario) ? `≤ ${HALF_BOARD}` : ""} |`);
    }
    out.push("", `An ESP32 without PSRAM has about 3,400 variables.`, "");
    const big = m.plain.peaks.find((p) => /2\d{4} bytes/.test(p.scenario));
    const missed = [
      m.plain.codeBytes > CODE_TARGET_BYTES ? `firmware/app.js ${m.plain.codeBytes - CODE_TARGET_BYTES} B over (${m.plain.codeBytes} B against 16 KB)` : "",
      m.plain.rest > REST_TARGET ? `at rest ${m.plain.rest - REST_TARGET} over (${m.plain.rest} against ${REST_TARGET})` : "",
      big && big.peak > HALF_BOARD ? `the 20 KB peak ${big.peak - HALF_BOARD} over (${big.peak} against ${HALF_BOARD})` : "",
    ].filter((x) => x);
    if (missed.length)
      out.push(
        `Missed: ${missed.join("; ")}. Why: on this interpreter variables follow the number of functions and closures alive, not the bytes of code (the tables below: the top-level functions and the long-lived objects' closures hold most of the rest figure; a send adds the SMTP client's closures, which is why a short alert peaks nearly as high as a 20 KB one). firmware/README.md says what each part holds and which rebuilds would close the gap.`,
        "",
      );
  }
  out.push("### Where the variables go (plain relay)", "");
  if (!("skipped" in real.memory)) {
    const m = real.memory;
    const layers: [string, number | undefined][] = [
      ["the interpreter itself at start (with the harness's small `__rl` object)", m.plain.bare],
      [`the firmware booted and idle with a configuration without rules (${m.plainNoRules.configBytes} B): its functions (code in Storage), SMTP client, outbox, sender, WiFi keeper, console`, m.plainNoRules.rest - m.plain.bare],
      [`the shipped board.json's rules (+${m.plain.configBytes - m.plainNoRules.configBytes} B of configuration)`, m.plain.rest - m.plainNoRules.rest],
      ...m.plain.peaks.map((p): [string, number] => [`while sending ${p.scenario}`, p.peak - m.plain.rest]),
    ];
    out.push(
      "Measured layer by layer (differences of process.memory().usage between boots and moments of the runs above):",
      "",
      "| layer | variables |",
      "| --- | --- |",
      ...layers.map(([what, v]) => `| ${what} | ${v === undefined ? "—" : `${v >= 0 && what.startsWith("while") ? "+" : ""}${v}`} |`),
      "",
    );
  }
  if ("skipped" in real.breakdown) out.push(`E.getSizeOf breakdown: ${real.breakdown.skipped}`, "");
  else {
    const b = real.breakdown;
    out.push(
      "At rest with the shipped rules, by holder: E.getSizeOf over everything reachable from the global object and the firmware's scopes (" +
        `${b.total} variables). Each row is what only that holds (the total falls by this much without it); what several parts share is counted in no row.`,
      "",
      "| where | what | variables |",
      "| --- | --- | --- |",
      `| bundle module scope | the bundle's ${b.functions.count} top-level functions (code stays in Storage: these are their variables) | ${b.functions.vars} |`,
      ...b.rows.map((x) => `| ${x.where} | ${x.what.replace(/\|/g, "\\|")} | ${x.vars} |`),
      `| shared | held by more than one of the above (the parsed configuration alone is ${b.configObject}) | ${b.unattributed} |`,
      "",
    );
  }
  out.push(
    "### Latency beside nodemailer (issue 12)",
    "",
    `Measured on ${timing.interpreter} (${timing.label}; the last column says so for each row). Through the same flight-counting proxy (bench/flight-proxy.ts); implicit TLS with AUTH; the shipped board.json's defaults (its outbox timing included), warm rows with \`keepAliveSeconds: 60\`; a rule's alert is \`alertmail.fire("door")\`. alertmail's time is taken inside the interpreter: getTime() at the console command to the socket data event carrying the final 250 (a probe in \`.boot0\`); nodemailer's from sendMail to its promise. TLS handshake = connection opened → the server's second flight.`,
    "",
    ...(real.latency.length ? latencyTable(real.latency, timing.label) : ["no latency rows in this run"]),
    "",
    ...real.notes.map((n) => `- ${n}`),
    "",
  );
  return out;
}

/** README summary rows (same columns as the simulator's: measure, alertmail, nodemailer, ratio, target, verdict). */
export function realReadmeRows(real: Real): string[][] {
  if (!real || "skipped" in real) return [["real interpreter", "not run (ESPRUINO not set): the variable rows below are the per-KB estimate", "", "", "", "not measured"]];
  const checks = realTargets(real);
  const v = (p: string) => checks.find((c) => c.target.includes(p))?.verdict ?? "not measured";
  const rows: string[][] = [];
  if (!("skipped" in real.memory)) {
    const m = real.memory;
    const html = m.plain.peaks.find((p) => /2\d{4} bytes/.test(p.scenario));
    const on = memoryLabel(real);
    rows.push([`real interpreter: variables at rest (plain relay; ${on})`, String(m.plain.rest), "", "", `≤ ${REST_TARGET}`, v("variables at rest")]);
    if (html) rows.push([`real interpreter: peak variables, 20 KB HTML alert (plain relay; TLS: ${m.tls.peaks.find((p) => p.scenario === html.scenario)?.peak ?? "—"}; ${on})`, String(html.peak), "", "", `≤ ${HALF_BOARD}`, v("20 KB HTML alert ≤")]);
  }
  const row = (label: string, kind: "cold" | "warm", trig: string, d: number, target: string, verdict: string) => {
    const x = find(real, kind, trig, d);
    if (!x) return;
    const a = msMedian(x.alertmail);
    const n = msMedian(x.nodemailer);
    rows.push([`real interpreter: ${label} (${x.build ?? timingOf(real).label})`, a == null ? "—" : `${a.toFixed(0)} ms`, n == null ? "—" : `${n.toFixed(0)} ms${kind === "warm" ? " (pool)" : ""}`, fmtRatio(ratio(a, n)), target, verdict]);
  };
  row("a rule's alert, cold, 100 ms RTT", "cold", "alertmail.fire", 50, "≤ 1.0×", v("cold, 100 ms RTT"));
  row("a rule's alert, warm, 100 ms RTT", "warm", "alertmail.fire", 50, "≤ 0.55×", v("warm, 100 ms RTT"));
  row("alertmail.test(), cold, no added delay", "cold", "alertmail.test", 0, "≤ TLS handshake + 30 ms", v("cold alert, no added delay"));
  row("alertmail.test(), warm, no added delay", "warm", "alertmail.test", 0, "≤ 12 ms", v("warm alert, no added delay"));
  return rows;
}

/** The README summary's words on which build measured what. */
export function realSummaryBuilds(real: RealResults): string {
  const t = timingOf(real);
  const emulated = /qemu/.test(t.interpreter);
  if (t.native) return `variables on ${real.interpreter} (the ESP32's variable format), times on ${t.interpreter} (the same source built natively: a PC core's times, not an ESP32's)`;
  return `${real.interpreter}${emulated ? " (no native timing build: compare ratios, not absolute times)" : ""}`;
}
