// Turns the bench's measurements into bench/RESULTS.md and bench/chart.svg. Every figure comes from
// the run's data; where a side could not run, the cell says why.
import type { Trial } from "./measure.ts";
import { realReadmeRows, realSummaryBuilds, realTargets, renderRealSection } from "./real-report.ts";
import type { RealResults } from "./real-side.ts";
import { fmtCount, fmtMs, fmtRatio, ratio, summarize, type Summary } from "./stats.ts";

/** Trials of one client in one cell, or why there are none. */
export interface Side {
  trials: Trial[];
  /** Failed attempts (message of each), or the reason the side did not run at all. */
  errors: string[];
  skipped?: string;
  /** Cold trials after which a connection was still open 5 s later. */
  lingering?: number;
}

export interface LatencyRow {
  server: string;
  /** What the server offers, e.g. "PIPELINING" or "PIPELINING, CHUNKING". */
  offers: string;
  delayMs: number;
  alertmail: Side;
  nodemailer: Side;
}

/** One throughput run: every message queued at once, timed to the last 250. */
export interface TpRun {
  ms: number;
  connections: number;
  delivered: number;
  /** alertmail only: the part spent storing every alert in the outbox before the first send. */
  queuedMs?: number;
}

export type TpSide = { runs: TpRun[]; errors: string[] } | { skipped: string };

export interface ThroughputRow {
  payload: string;
  messages: number;
  alertmail: TpSide;
  nodemailer: TpSide;
}

export interface BoardCost {
  bytes: number | null;
  variablesFromRam: number | null;
  variablesFromStorage: number | null;
  esp32Variables: number;
  modules: { module: string; bytes: number; share: number }[];
  note?: string;
  largestWrite: { max: number; writes: number; bytes: number } | { skipped: string };
}

export interface RunInfo {
  /** Lines about the run's conditions that a reader needs (measured, e.g. the simulator's own costs). */
  notes?: string[];
  date: string;
  durationS: number;
  versions: Record<string, string>;
  machine: Record<string, string>;
  trialsPerCell: number;
  unavailable: string[];
}

/** CPU shares of the alertmail side while it sends a batch in the simulator (bench/cpu-share.ts). */
export type CpuProfileResult = { messages: number; payload: string; busyMs: number; firmware: number; simulator: number; rest: number } | { skipped: string };

export interface Results {
  info: RunInfo;
  cold: LatencyRow[];
  warm: LatencyRow[];
  throughput: ThroughputRow[];
  cpu?: CpuProfileResult;
  board: BoardCost;
  /** Measured on Espruino's own interpreter (bench/real-side.ts), or why not. */
  real?: RealResults | { skipped: string };
  /** Cold alerts through a provider's HTTPS API mock (bench/api-side.ts), one row per delay, or why not. */
  api?: ApiRow[] | { skipped: string };
}

/** One delay of the API path: the same firmware sending through a provider's HTTPS mock, cold. */
export interface ApiRow {
  provider: string;
  delayMs: number;
  side: Side;
}

/** The API path beside the SMTP path's cold rows at the same delay (first server with rows). */
export function apiTable(api: ApiRow[] | { skipped: string } | undefined, cold: LatencyRow[]): string[] {
  if (!api) return [];
  const head = ["## 1b. Cold alert through an HTTPS API (simulator): one request after TLS", ""];
  if (!Array.isArray(api)) return [...head, `Not measured: ${api.skipped}`, ""];
  return [
    ...head,
    "The same firmware/app.js with an `api` section (its amapi.js module) sending through the provider's HTTPS mock behind the same flight proxy, one new connection per alert; timed trigger → the 2xx status line. The SMTP columns repeat section 1's first server at the same delay.",
    "",
    table(
      ["provider", "one-way delay", "API flights after TLS", "API trigger→2xx", "SMTP alertmail trigger→250", "SMTP nodemailer send→250", "ratio API / nodemailer SMTP"],
      api.map((a) => {
        const smtp = cold.find((c) => c.delayMs === a.delayMs && !c.alertmail.skipped);
        return [
          a.provider,
          `${a.delayMs} ms`,
          sideCell(a.side, flightsAfterTls, fmtCount),
          sideCell(a.side, ms, fmtMs),
          smtp ? sideCell(smtp.alertmail, ms, fmtMs) : "—",
          smtp ? sideCell(smtp.nodemailer, ms, fmtMs) : "—",
          smtp ? fmtRatio(ratio(medianMs(a.side), medianMs(smtp.nodemailer))) : "—",
        ];
      }),
    ),
    "",
  ];
}

const ms = (s: Side) => summarize(s.trials.map((t) => t.ms));
const flightsAfterTls = (s: Side) => summarize(s.trials.map((t) => t.flightsAfterTls));
const flights = (s: Side) => summarize(s.trials.map((t) => t.flights));
const newConns = (s: Side) => summarize(s.trials.map((t) => t.newConnections));
const connectMs = (s: Side) => summarize(s.trials.map((t) => t.connectMs).filter((v): v is number => v != null));

function sideCell(s: Side, f: (s: Side) => Summary | null, fmt: (x: Summary | null) => string): string {
  if (s.skipped) return s.skipped;
  if (!s.trials.length) return `failed: ${s.errors[0] ?? "no trials"}`;
  const failed = s.errors.length ? ` (${s.errors.length} failed: ${s.errors[0]})` : "";
  const lingering = s.lingering ? ` (${s.lingering} left a connection open 5 s after the 250)` : "";
  return fmt(f(s)) + failed + lingering;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(escapeCell).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

export function medianMs(s: Side): number | null {
  const x = ms(s);
  return x ? x.median : null;
}

function latencyTable(rows: LatencyRow[], warm: boolean): string {
  const nm = warm ? "nodemailer pool" : "nodemailer";
  const head = [
    "server (offers)",
    "one-way delay",
    warm ? "alertmail flights" : "alertmail flights after TLS",
    "alertmail trigger→250",
    warm ? `${nm} flights` : `${nm} flights after TLS`,
    `${nm} send→250`,
    "ratio alertmail / nodemailer",
  ];
  if (!warm) head.push("trigger→connect: alertmail / nodemailer");
  return table(
    head,
    rows.map((r) => {
      const cells = [
        `${r.server} (${r.offers})`,
        `${r.delayMs} ms`,
        sideCell(r.alertmail, warm ? flights : flightsAfterTls, fmtCount),
        sideCell(r.alertmail, ms, fmtMs),
        sideCell(r.nodemailer, warm ? flights : flightsAfterTls, fmtCount),
        sideCell(r.nodemailer, ms, fmtMs),
        fmtRatio(ratio(medianMs(r.alertmail), medianMs(r.nodemailer))),
      ];
      if (!warm) {
        const c = (s: Side) => (s.skipped || !s.trials.length ? "—" : fmtMs(connectMs(s)));
        cells.push(`${c(r.alertmail)} / ${c(r.nodemailer)}`);
      }
      return cells;
    }),
  );
}

const tpRates = (x: TpSide) => ("skipped" in x ? [] : x.runs.map((r) => (r.delivered / r.ms) * 1000));

function tpCell(x: TpSide, n: number): string {
  if ("skipped" in x) return x.skipped;
  const rates = summarize(tpRates(x));
  if (!rates) return `failed: ${x.errors[0] ?? "no runs"}`;
  const queued = summarize(x.runs.map((r) => r.queuedMs).filter((v): v is number => v != null));
  const conns = [...new Set(x.runs.map((r) => r.connections))].join(" or ");
  const short = x.runs.filter((r) => r.delivered < n).length;
  const parts = [
    `${rates.median.toFixed(1)} msg/s (${rates.min.toFixed(1)}–${rates.max.toFixed(1)}, ${rates.n} run${rates.n === 1 ? "" : "s"})`,
    `${conns} connection${conns === "1" ? "" : "s"} per run`,
  ];
  if (queued) parts.push(`${(queued.median / 1000).toFixed(2)} s of each run storing the ${n} alerts in the outbox`);
  if (short) parts.push(`${short} run(s) delivered fewer than ${n}`);
  if (x.errors.length) parts.push(`${x.errors.length} failed: ${x.errors[0]}`);
  return parts.join("; ");
}

function tpRate(x: TpSide): number | null {
  const s = summarize(tpRates(x));
  return s ? s.median : null;
}

/** One target of the issue: the measured value and whether it was met. */
export interface TargetCheck {
  target: string;
  measured: string;
  verdict: "met" | "NOT met" | "not measured";
}

export function checkTargets(r: Results): TargetCheck[] {
  const out: TargetCheck[] = [];
  const maxOf = (s: Side, f: (t: Trial) => number) => (s.trials.length && !s.skipped ? Math.max(...s.trials.map(f)) : null);
  const add = (target: string, value: number | null, fmt: (v: number) => string, ok: (v: number) => boolean, why = "") =>
    out.push({
      target,
      measured: value == null ? why || "—" : fmt(value),
      verdict: value == null ? "not measured" : ok(value) ? "met" : "NOT met",
    });
  const coldWith = (offers: string, d: number) => r.cold.find((x) => x.offers === offers && x.delayMs === d);
  const chunk = r.cold.filter((x) => x.offers.includes("CHUNKING"));
  const pipeOnly = r.cold.filter((x) => x.offers === "PIPELINING");
  const worst = (rows: LatencyRow[], f: (t: Trial) => number) => {
    const v = rows.map((x) => maxOf(x.alertmail, f)).filter((v): v is number => v != null);
    return v.length ? Math.max(...v) : null;
  };
  const why = (rows: LatencyRow[]) => rows.map((x) => x.alertmail.skipped ?? x.alertmail.errors[0]).find(Boolean) ?? "no such server in this run";
  add("≤ 3 flights after the TLS handshake with CHUNKING (cold)", worst(chunk, (t) => t.flightsAfterTls), (v) => `at most ${v}`, (v) => v <= 3, why(chunk));
  add("≤ 4 flights after the TLS handshake with PIPELINING only (cold)", worst(pipeOnly, (t) => t.flightsAfterTls), (v) => `at most ${v}`, (v) => v <= 4, why(pipeOnly));
  const warmRows = r.warm.filter((x) => x.offers.includes("CHUNKING"));
  add("1 flight on a warm connection (CHUNKING)", worst(warmRows, (t) => t.flights), (v) => `at most ${v}`, (v) => v <= 1, why(warmRows));
  /** What the ratio would be if time were only round trips: median client flights, handshake included. */
  const turnsOnly = (row: LatencyRow) => {
    const a = flights(row.alertmail);
    const b = flights(row.nodemailer);
    if (!a || !b || !b.median) return "";
    return `; round trips alone would give ${(a.median / b.median).toFixed(2)}× (${a.median} vs ${b.median} client flights, TLS included)`;
  };
  const c50 = coldWith("PIPELINING, CHUNKING", 50);
  add(
    "cold, CHUNKING, 50 ms one-way: trigger→250 ≤ 0.85 × nodemailer",
    c50 ? ratio(medianMs(c50.alertmail), medianMs(c50.nodemailer)) : null,
    (v) => `${v.toFixed(3)}× (medians)${c50 ? turnsOnly(c50) : ""}`,
    (v) => v <= 0.85,
    c50 ? why([c50]) : "Postfix (CHUNKING) not in this run",
  );
  const w50 = r.warm.filter((x) => x.delayMs === 50);
  const w50best = w50.find((x) => x.offers.includes("CHUNKING")) ?? w50[0];
  add(
    `warm, 50 ms one-way${w50best ? ` (${w50best.server})` : ""}: trigger→250 ≤ 0.5 × pooled nodemailer`,
    w50best ? ratio(medianMs(w50best.alertmail), medianMs(w50best.nodemailer)) : null,
    (v) => `${v.toFixed(3)}× (medians)${w50best ? turnsOnly(w50best) : ""}`,
    (v) => v <= 0.5,
    w50best ? why([w50best]) : "no warm row",
  );
  for (const t of r.throughput) {
    add(
      `throughput ≥ nodemailer (${t.payload})`,
      ratio(tpRate(t.alertmail), tpRate(t.nodemailer)),
      (v) => `${v.toFixed(2)}× nodemailer's msg/s`,
      (v) => v >= 1,
      "skipped" in t.alertmail ? t.alertmail.skipped : "",
    );
  }
  const lw = r.board.largestWrite;
  add(
    "largest socket write ≤ 2 KB (20 KB HTML alert)",
    "skipped" in lw ? null : lw.max,
    (v) => `${v} bytes in one write`,
    (v) => v <= 2048,
    "skipped" in lw ? lw.skipped : "",
  );
  out.push(...realTargets(r.real));
  return out;
}

function cpuLines(c: CpuProfileResult | undefined): string[] {
  if (!c) return [];
  const head = "Where the alertmail side's CPU time goes in the simulator (V8 sampling profile of a separate, untimed run";
  if ("skipped" in c) return [`${head}): ${c.skipped}`, ""];
  const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
  return [
    `${head} sending ${c.messages} × ${c.payload}; ${c.busyMs.toFixed(0)} ms busy): the firmware's own code (\`.bootcde\`) ${pct(c.firmware)},`,
    `the simulator's Espruino emulation (host-sim/, its prelude) ${pct(c.simulator)}, the rest (Node's TLS and sockets, the embedded SMTP`,
    `server parsing each message, GC) ${pct(c.rest)}.`,
    "",
  ];
}

export function renderMarkdown(r: Results): string {
  const i = r.info;
  const b = r.board;
  const pct = (v: number | null) => (v == null ? "—" : `${v} (${Math.round((v / b.esp32Variables) * 100)}% of ${b.esp32Variables})`);
  const lw = b.largestWrite;
  const parts = [
    "# alertmail benchmark results",
    "",
    "Written by `npm run bench` (bench/run.ts). Every figure below comes from that run; nothing is typed in by hand.",
    "Times are medians with (min–max); ratios are alertmail's median over nodemailer's, measured alternately in the same run.",
    "",
    `- Date: ${i.date} (run took ${i.durationS.toFixed(0)} s)`,
    `- Versions: ${Object.entries(i.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    `- Machine: ${Object.entries(i.machine).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    `- Trials: ${i.trialsPerCell} per client per cell, alternating alertmail / nodemailer`,
    ...(i.unavailable.length ? ["- Not available in this run: " + i.unavailable.join("; ")] : []),
    "",
    "How it is measured: each client connects through a TCP proxy on 127.0.0.1 (bench/flight-proxy.ts) that",
    "delays every chunk by the one-way delay in each direction and counts client flights: the times the",
    "client sent after having heard from the server. A flight count covers trigger → 250 of the message; a",
    "full TLS handshake costs 2 of them, subtracted for the \"after TLS\" columns. alertmail is the real",
    "`firmware/app.js` running in the host simulator, triggered by `alertmail.send(...)` on its console; its",
    "time ends when the firmware's socket received the server's 250 (a probe wraps the socket's `data`",
    "handler). nodemailer runs in the same process (`secure: true`, certificate not checked, no pool unless",
    "said), from `sendMail` to its promise resolving on the 250. Flights are counted up to the server flight",
    "that carried the 250 (a QUIT or TLS close after it is not counted). The simulator's bench config sets `outbox.coalesceSeconds` to 0. smtp-server",
    "holds its greeting 100 ms to catch early talkers, so every cold connection to the sink includes that",
    "wait, for both clients.",
    ...(i.notes?.length ? ["", ...i.notes.map((n) => `- ${n}`)] : []),
    "",
    ...renderRealSection(r.real),
    "Sections 1 to 3 are simulator rows: the same firmware/app.js in the host simulator, whose TLS and CPU are Node's, not the board's.",
    "",
    "## 1. Cold alert (simulator): turns and trigger→250 against added latency",
    "",
    latencyTable(r.cold, false),
    "",
    "![trigger to 250 against one-way delay](chart.svg)",
    "",
    ...apiTable(r.api, r.cold),
    "## 2. Warm connection (simulator): the next alert inside the keep-alive window",
    "",
    "alertmail with `keepAliveSeconds` set, after a first alert opened the connection; nodemailer with `pool: true` (one connection, kept open).",
    "",
    latencyTable(r.warm, true),
    "",
    "## 3. Throughput over one connection, no added delay (simulator)",
    "",
    "Every message is queued at once and timed to the last 250; median (min–max) over the runs, alternating who goes first.",
    "",
    table(
      ["payload", "alertmail", "nodemailer (pool, 1 connection)", "ratio alertmail / nodemailer (medians)"],
      r.throughput.map((t) => [`${t.messages} × ${t.payload}`, tpCell(t.alertmail, t.messages), tpCell(t.nodemailer, t.messages), fmtRatio(ratio(tpRate(t.alertmail), tpRate(t.nodemailer)))]),
    ),
    "",
    ...cpuLines(r.cpu),
    "## 4. Board cost",
    "",
    table(
      ["measure", "value"],
      [
        ["firmware/app.js", b.bytes == null ? b.note ?? "—" : `${b.bytes} bytes (${(b.bytes / 1024).toFixed(1)} KB)`],
        ["variables when run from RAM (≈119 per KB: the per-KB estimate, the fallback; section 0 has the measured ones)", pct(b.variablesFromRam)],
        ["variables when run from Storage (≈57 per KB: the per-KB estimate, the fallback)", pct(b.variablesFromStorage)],
        [
          "largest single string written to the socket (20 KB HTML alert)",
          "skipped" in lw ? lw.skipped : `${lw.max} bytes (${lw.writes} writes, ${lw.bytes} bytes in all)`,
        ],
      ],
    ),
    "",
    "Each module's share of firmware/app.js (esbuild metafile, bytes in the output):",
    "",
    b.modules.length
      ? table(
          ["module", "bytes", "share"],
          b.modules.map((m) => [m.module, String(m.bytes), `${(m.share * 100).toFixed(1)}%`]),
        )
      : b.note ?? "no metafile",
    "",
    "## Targets (issues 8, 11, 12)",
    "",
    table(
      ["target", "measured", "verdict"],
      checkTargets(r).map((t) => [t.target, t.measured, t.verdict]),
    ),
    "",
  ];
  return parts.join("\n");
}

/** Hand-written SVG: median trigger→250 (with min–max bars) against one-way delay, per server and client. */
export function renderChart(rows: LatencyRow[]): string {
  const delays = [...new Set(rows.map((r) => r.delayMs))].sort((a, b) => a - b);
  const servers = [...new Set(rows.map((r) => `${r.server} (${r.offers})`))];
  const W = 760;
  const L = 70;
  const R = 30;
  const T = 40;
  const plotBottom = 340;
  const legendTop = plotBottom + 60;
  const H = legendTop + servers.length * 20 + 10;
  const B = H - plotBottom;
  type Series = { label: string; color: string; dash: string; col: number; row: number; pts: { d: number; s: Summary }[] };
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
  const series: Series[] = [];
  servers.forEach((srv, k) => {
    (["alertmail", "nodemailer"] as const).forEach((client, col) => {
      const pts = rows
        .filter((r) => `${r.server} (${r.offers})` === srv && !r[client].skipped)
        .map((r) => ({ d: r.delayMs, s: ms(r[client]) }))
        .filter((p): p is { d: number; s: Summary } => p.s != null);
      if (pts.length) series.push({ label: `${client} → ${srv}`, color: colors[k % colors.length], dash: client === "alertmail" ? "" : "6 4", col, row: k, pts });
    });
  });
  const maxY = Math.max(1, ...series.flatMap((s) => s.pts.map((p) => p.s.max)));
  // Grid: the smallest step of 1, 2, 2.5 or 5 × 10^k that covers the data in at most 6 steps.
  const tick = (() => {
    const base = Math.pow(10, Math.floor(Math.log10(maxY / 6)));
    for (const m of [1, 2, 2.5, 5, 10]) if ((m * base) * 6 >= maxY) return m * base;
    return 10 * base;
  })();
  const ticks = Math.ceil(maxY / tick);
  const niceMax = ticks * tick;
  const maxD = Math.max(1, ...delays);
  const x = (d: number) => L + ((W - L - R) * d) / maxD;
  const y = (v: number) => H - B - ((H - T - B) * v) / niceMax;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${L}" y="22" font-size="14" font-weight="bold">Cold alert: trigger → 250 (median, min–max) against added one-way delay</text>`);
  for (let k = 0; k <= ticks; k++) {
    const v = tick * k;
    out.push(`<line x1="${L}" y1="${y(v).toFixed(1)}" x2="${W - R}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${Math.round(v)}</text>`);
  }
  for (const d of delays) {
    out.push(`<line x1="${x(d).toFixed(1)}" y1="${H - B}" x2="${x(d).toFixed(1)}" y2="${H - B + 5}" stroke="#333"/>`);
    out.push(`<text x="${x(d).toFixed(1)}" y="${H - B + 18}" text-anchor="middle">${d} ms</text>`);
  }
  out.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${plotBottom + 36}" text-anchor="middle">added one-way delay (each direction)</text>`);
  out.push(`<text transform="translate(18 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">ms, trigger → 250</text>`);
  series.forEach((s, k) => {
    const pts = s.pts.sort((a, b) => a.d - b.d);
    const off = (k - (series.length - 1) / 2) * 3; // spread whiskers so they do not overlap
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ""} points="${pts.map((p) => `${x(p.d).toFixed(1)},${y(p.s.median).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) {
      const px = (x(p.d) + off).toFixed(1);
      out.push(`<line x1="${px}" y1="${y(p.s.min).toFixed(1)}" x2="${px}" y2="${y(p.s.max).toFixed(1)}" stroke="${s.color}" stroke-opacity="0.6"/>`);
      out.push(`<circle cx="${x(p.d).toFixed(1)}" cy="${y(p.s.median).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
    const ly = legendTop + s.row * 20;
    const lx = L + s.col * 340;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 30}" y2="${ly}" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ""}/>`);
    out.push(`<text x="${lx + 36}" y="${ly + 4}">${s.label.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</text>`);
  });
  servers.forEach((srv, k) => {
    if (series.some((x) => x.row === k)) return;
    const why = rows.find((r) => `${r.server} (${r.offers})` === srv)?.alertmail.skipped ?? "no measurements";
    out.push(`<text x="${L}" y="${legendTop + k * 20 + 4}" fill="#666">${`${srv}: ${why}`.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</text>`);
  });
  if (!series.length) out.push(`<text x="${L + 20}" y="${T + 40}">no measurements in this run</text>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

export { newConns };

/** The lines that fence the bench's summary in README.md; everything between them is rewritten. */
export const README_START = "<!-- bench:start -->";
export const README_END = "<!-- bench:end -->";

/**
 * The README's short summary of a run (Markdown between the markers): one table of the headline
 * numbers, each with its target from issue 8 (or the build's budget) and whether it was met, then a
 * link to RESULTS.md. Same data, same verdicts (checkTargets) as RESULTS.md.
 */
export function renderReadmeSummary(r: Results, opts: { budgetBytes: number; resultsLink?: string }): string {
  const checks = checkTargets(r);
  const verdictOf = (prefix: string) => checks.find((c) => c.target.startsWith(prefix))?.verdict ?? "not measured";
  const rows: string[][] = realReadmeRows(r.real);
  const mid = (s: Summary | null) => (s ? String(s.median) : "—");
  const msOf = (s: Side) => {
    const v = medianMs(s);
    return s.skipped ? "not run" : v == null ? "—" : `${v.toFixed(0)} ms`;
  };
  const coldRow = (label: string, offers: string, flightTarget: string, flightVerdict: string, ratioTarget: string, ratioVerdict: string) => {
    const x = r.cold.find((c) => c.offers === offers && c.delayMs === 50);
    if (!x) {
      rows.push([`cold alert, ${label}, 50 ms one-way (simulator)`, "not in this run", "", "", "", "not measured"]);
      return;
    }
    rows.push([`cold alert, ${label}, 50 ms: flights after TLS (simulator)`, mid(flightsAfterTls(x.alertmail)), mid(flightsAfterTls(x.nodemailer)), "", flightTarget, flightVerdict]);
    rows.push([`cold alert, ${label}, 50 ms: trigger→250 (simulator)`, msOf(x.alertmail), msOf(x.nodemailer), fmtRatio(ratio(medianMs(x.alertmail), medianMs(x.nodemailer))), ratioTarget, ratioVerdict]);
  };
  coldRow("smtp-server sink (PIPELINING)", "PIPELINING", "≤ 4 flights", verdictOf("≤ 4 flights"), "none (same turns as nodemailer)", "—");
  coldRow("Postfix (PIPELINING, CHUNKING)", "PIPELINING, CHUNKING", "≤ 3 flights", verdictOf("≤ 3 flights"), "≤ 0.85×", verdictOf("cold, CHUNKING, 50 ms"));
  const w50 = r.warm.filter((x) => x.delayMs === 50);
  const w = w50.find((x) => x.offers.includes("CHUNKING")) ?? w50[0];
  if (w) {
    const who = `${w.server} (${w.offers})`;
    const chunking = w.offers.includes("CHUNKING");
    rows.push([`warm alert, ${who}, 50 ms: flights (simulator)`, mid(flights(w.alertmail)), `${mid(flights(w.nodemailer))} (pool)`, "", chunking ? "1 flight" : "none without CHUNKING", chunking ? verdictOf("1 flight on a warm") : "—"]);
    rows.push([`warm alert, ${who}, 50 ms: trigger→250 (simulator)`, msOf(w.alertmail), `${msOf(w.nodemailer)} (pool)`, fmtRatio(ratio(medianMs(w.alertmail), medianMs(w.nodemailer))), "≤ 0.5×", verdictOf("warm, 50 ms")]);
  } else {
    rows.push(["warm alert, 50 ms one-way (simulator)", "not in this run", "", "", "≤ 0.5×", "not measured"]);
  }
  for (const t of r.throughput) {
    const rate = (x: TpSide) => {
      const v = tpRate(x);
      return "skipped" in x ? "not run" : v == null ? "—" : `${v.toFixed(1)} msg/s`;
    };
    rows.push([`throughput, ${t.messages} × ${t.payload}, one connection (simulator)`, rate(t.alertmail), `${rate(t.nodemailer)} (pool)`, fmtRatio(ratio(tpRate(t.alertmail), tpRate(t.nodemailer))), "≥ 1×", verdictOf(`throughput ≥ nodemailer (${t.payload})`)]);
  }
  const b = r.board;
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  rows.push([
    "firmware/app.js",
    b.bytes == null ? "—" : `${b.bytes} bytes (${kb(b.bytes)})`,
    "",
    "",
    `≤ ${kb(opts.budgetBytes)} (tools/budget.ts)`,
    b.bytes == null ? "not measured" : b.bytes <= opts.budgetBytes ? "met" : "NOT met",
  ]);
  const vars = (label: string, v: number | null) =>
    rows.push([
      `variables, code run from ${label} (per-KB estimate, the fallback)`,
      v == null ? "—" : `${v} (${Math.round((v / b.esp32Variables) * 100)}% of ${b.esp32Variables})`,
      "",
      "",
      `< ${b.esp32Variables} (an ESP32's whole heap)`,
      v == null ? "not measured" : v < b.esp32Variables ? "met" : "NOT met",
    ]);
  vars("RAM", b.variablesFromRam);
  vars("Storage", b.variablesFromStorage);
  const lw = b.largestWrite;
  rows.push(["largest socket write, 20 KB HTML alert", "skipped" in lw ? lw.skipped : `${lw.max} bytes`, "", "", "≤ 2048 bytes", verdictOf("largest socket write")]);
  const link = opts.resultsLink ?? "bench/RESULTS.md";
  return [
    `Last run: ${r.info.date.slice(0, 10)}, ${r.info.versions.alertmail ?? "alertmail"} against nodemailer ${r.info.versions.nodemailer ?? "?"}, ${r.info.trialsPerCell} trials per cell; medians, ratio = alertmail / nodemailer.` +
      (r.real && !("skipped" in r.real) ? ` "real interpreter" rows: ${realSummaryBuilds(r.real)}; the other rows are the simulator's.` : ""),
    "",
    table(["measure", "alertmail", "nodemailer", "ratio", "target", "verdict"], rows),
    "",
    `Every row, its spread and the method: [${link}](${link}).`,
  ].join("\n");
}

/** README text with the block between the markers replaced by `summary`; every other byte kept. */
export function replaceReadmeBlock(readme: string, summary: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < 0 || end < start || readme.indexOf(README_START, start + 1) >= 0 || readme.indexOf(README_END, end + 1) >= 0) {
    throw new Error(`README.md needs exactly one ${README_START} line followed by one ${README_END} line`);
  }
  const head = readme.slice(0, start + README_START.length);
  return `${head}\n${summary.replace(/\n+$/, "")}\n${readme.slice(end)}`;
}
