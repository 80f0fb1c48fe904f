// `npm run bench`: alertmail (the real bundle in the simulator, and on Espruino's own interpreter when
// ESPRUINO names one) against nodemailer, side by side in one run; writes bench/RESULTS.md and
// bench/chart.svg. Env: BENCH_N (trials per cell, default 10), BENCH_REAL_N (real interpreter, default 5),
// ESPRUINO (the ESP32-format build: variables), ESPRUINO_NATIVE (the native timing build: latency rows;
// default espruino-native beside ESPRUINO, empty for none).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, type as osType } from "node:os";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startSmtpSink } from "../host-sim/smtp-sink.ts";
import { postfixUnavailable, startPostfix } from "../tools/postfix/postfix.ts";
import { buildFirmware } from "../tools/build.ts";
import { FIRMWARE_BUDGET_BYTES } from "../tools/budget.ts";
import { isLocalPortListening } from "../host-sim/net.ts";
import { alertmailMissing, startAlertmailBoard, type AlertmailBoard } from "./alertmail-side.ts";
import { realSide } from "./real-side.ts";
import { apiTrials } from "./api-side.ts";
import { moduleShares, SOCKET_WRITE_PROBE, SOCKET_WRITE_STATS_READ, variablesFor, ESP32_VARIABLES } from "./board-cost.ts";
import { startFlightProxy, type FlightProxy } from "./flight-proxy.ts";
import { quiesce, trial, withTimeout } from "./measure.ts";
import { profileShares } from "./cpu-share.ts";
import { alertText, htmlOfBytes, textOfBytes } from "./messages.ts";
import { coldNodemailer, pooledNodemailer, type Content, type SmtpTarget } from "./nodemailer-side.ts";
import { renderChart, renderMarkdown, renderReadmeSummary, replaceReadmeBlock, checkTargets, type CpuProfileResult, type BoardCost, type ApiRow, type LatencyRow, type Results, type Side, type ThroughputRow, type TpRun } from "./report.ts";

const ROOT = join(import.meta.dirname, "..");
const N = Math.max(1, Number(process.env.BENCH_N ?? 10));
const REAL_N = Math.max(1, Number(process.env.BENCH_REAL_N ?? 5));
const DELAYS = [0, 25, 50];
const THROUGHPUT_MESSAGES = Number(process.env.BENCH_TP ?? 200);
/** Throughput runs per client and payload (one sample is not a measurement on a shared machine). */
const TP_ROUNDS = Math.max(1, Number(process.env.BENCH_TP_ROUNDS ?? 3));
const USER = "bench";
const PASSWORD = "bench-password";
const started = performance.now();

function progress(msg: string) {
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
}

function errText(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0].slice(0, 160);
}

function pkgVersion(name: string): string {
  try {
    return JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

/** The commit measured, with a note when src/, host-sim/ or tools/ had uncommitted changes. */
function gitDescription(): string {
  const head = sh("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]);
  if (!head) return "no git";
  const dirty = sh("git", ["-C", ROOT, "status", "--porcelain", "--", "src", "host-sim", "tools"]);
  return dirty ? `${head} + uncommitted changes in ${[...new Set(dirty.split("\n").map((l) => (l.trim().split(/\s+/).pop() ?? "").split("/")[0]))].join(", ")}` : head;
}

interface Server {
  name: string;
  offers: string;
  target: SmtpTarget;
  /** Messages the server has received so far, when it can tell. */
  received?: () => number;
  stop(): Promise<void> | void;
  /** Why this server is not in the run (rows still appear, saying so). */
  skipped?: string;
}

async function startServers(unavailable: string[]): Promise<Server[]> {
  const servers: Server[] = [];
  for (const pipelining of [true, false]) {
    const sink = await startSmtpSink({ users: [{ user: USER, password: PASSWORD }], pipelining, tls: true });
    servers.push({
      name: "smtp-server sink",
      offers: pipelining ? "PIPELINING" : "no PIPELINING",
      target: { port: sink.port, user: USER, password: PASSWORD },
      received: () => sink.messages.length,
      stop: () => sink.close(),
    });
  }
  const postfix: Server = { name: "Postfix", offers: "PIPELINING, CHUNKING", target: { port: 0, user: "", password: "" }, stop: () => {} };
  try {
    const pf = await startPostfix();
    if (pf) Object.assign(postfix, { target: { port: pf.tlsPort, user: pf.user, password: pf.password }, stop: () => pf.stop() });
    else postfix.skipped = `Postfix not available: ${postfixUnavailable() ?? "it did not start (its reason is printed above)"}`;
  } catch (e) {
    postfix.skipped = `Postfix failed to start: ${errText(e)}`;
  }
  servers.push(postfix);
  for (const s of servers) if (s.skipped) unavailable.push(s.skipped);
  return servers;
}

const emptySide = (skipped?: string): Side => ({ trials: [], errors: [], skipped });

/** Alternates alertmail and nodemailer trials at each delay through one proxy. */
async function latencyRows(
  server: Server,
  proxy: FlightProxy,
  am: AlertmailBoard | string,
  nm: { send(c: Content): Promise<number> },
  kind: "cold" | "warm",
): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  let k = 0;
  const content = (who: string) => ({ subject: `bench ${kind} ${who} ${++k}`, text: alertText(k) });
  // Warm-up, not measured: JIT, certificate caches, and (warm) the connection each client keeps.
  proxy.delayMs = 0;
  if (typeof am !== "string") await withTimeout(am.send(content("am")), 60000, "alertmail warm-up").catch(() => {});
  await withTimeout(nm.send(content("nm")), 60000, "nodemailer warm-up").catch(() => {});
  if (kind === "cold") await quiesce(proxy);
  for (const delayMs of DELAYS) {
    proxy.delayMs = delayMs;
    const row: LatencyRow = {
      server: server.name,
      offers: server.offers,
      delayMs,
      alertmail: emptySide(typeof am === "string" ? am : undefined),
      nodemailer: emptySide(),
    };
    for (let i = 0; i < N; i++) {
      const order = i % 2 === 0 ? (["alertmail", "nodemailer"] as const) : (["nodemailer", "alertmail"] as const);
      for (const who of order) {
        if (who === "alertmail" && typeof am === "string") continue;
        const side = row[who];
        const c = content(who === "alertmail" ? "am" : "nm");
        const send = () => (who === "alertmail" ? (am as AlertmailBoard).send(c) : nm.send(c));
        try {
          side.trials.push(await trial(proxy, () => withTimeout(send(), 60000, who)));
        } catch (e) {
          side.errors.push(errText(e));
        }
        // Cold: the next trial starts with no connection open (so a late QUIT never lands in it).
        if (kind === "cold" && !(await quiesce(proxy))) side.lingering = (side.lingering ?? 0) + 1;
      }
    }
    const med = (s: Side) => (s.trials.length ? s.trials.map((t) => t.ms).sort((a, b) => a - b)[s.trials.length >> 1].toFixed(0) + " ms" : s.skipped ?? `failed (${s.errors[0]})`);
    progress(`  ${kind} ${server.name} (${server.offers}) +${delayMs} ms: alertmail ${med(row.alertmail)}, nodemailer ${med(row.nodemailer)}`);
    rows.push(row);
  }
  return rows;
}

function skippedRows(server: Server, why: string): LatencyRow[] {
  return DELAYS.map((delayMs) => ({ server: server.name, offers: server.offers, delayMs, alertmail: emptySide(why), nodemailer: emptySide(why) }));
}

/** alertmail sends timed at the log line because the socket probe saw no 250 (reported if any). */
let probeMisses = 0;

/** Set once a board failed to boot: the same bundle will not boot for the next row either. */
let bootFailure: string | null = null;

async function withBoard<T>(opts: Parameters<typeof startAlertmailBoard>[0], f: (b: AlertmailBoard | string) => Promise<T>): Promise<T> {
  const missing = alertmailMissing() ?? bootFailure;
  if (missing) return f(missing);
  let board: AlertmailBoard;
  try {
    board = await startAlertmailBoard(opts);
  } catch (e) {
    bootFailure = `not available yet: ${errText(e)}`;
    return f(bootFailure);
  }
  try {
    return await f(board);
  } finally {
    probeMisses += board.endedAtLogLine();
    board.stop();
  }
}

async function coldAndWarm(servers: Server[]) {
  const cold: LatencyRow[] = [];
  const warm: LatencyRow[] = [];
  for (const server of servers) {
    if (server.skipped) {
      cold.push(...skippedRows(server, server.skipped));
      if (server.offers !== "no PIPELINING") warm.push(...skippedRows(server, server.skipped));
      continue;
    }
    const proxy = await startFlightProxy({ targetPort: server.target.port });
    const via = { ...server.target, port: proxy.port };
    try {
      progress(`cold alerts → ${server.name} (${server.offers})`);
      const nm = coldNodemailer(via);
      cold.push(...(await withBoard({ target: via, keepAliveSeconds: 0 }, (am) => latencyRows(server, proxy, am, nm, "cold"))));
      nm.close();
      if (server.offers === "no PIPELINING") continue; // warm is about the keep-alive, asked for with PIPELINING / CHUNKING
      progress(`warm alerts → ${server.name} (${server.offers})`);
      const pool = pooledNodemailer(via);
      warm.push(...(await withBoard({ target: via, keepAliveSeconds: 120 }, (am) => latencyRows(server, proxy, am, pool, "warm"))));
      pool.close();
    } finally {
      await proxy.close();
    }
  }
  return { cold, warm };
}

async function throughput(servers: Server[]): Promise<ThroughputRow[]> {
  const sink = servers.find((s) => s.offers === "PIPELINING" && !s.skipped);
  const payloads: { name: string; make: (i: number) => Content; html?: string }[] = [
    { name: "1 KB text", make: (i) => ({ subject: `bench tp text ${i}`, text: textOfBytes(1024, `message ${i}`) }) },
    { name: "20 KB HTML", make: (i) => ({ subject: `bench tp html ${i}` }), html: htmlOfBytes(20 * 1024, "bench report") },
  ];
  const rows: ThroughputRow[] = [];
  let runNo = 0;
  for (const p of payloads) {
    const none = { skipped: "no embedded sink" };
    const row: ThroughputRow = { payload: p.name, messages: THROUGHPUT_MESSAGES, alertmail: none, nodemailer: none };
    rows.push(row);
    if (!sink) continue;
    row.alertmail = { runs: [], errors: [] };
    row.nodemailer = { runs: [], errors: [] };
    const proxy = await startFlightProxy({ targetPort: sink.target.port });
    const via = { ...sink.target, port: proxy.port };
    const measure = async (who: string, run: (cs: Content[]) => Promise<number | { at: number; queuedMs: number }>): Promise<TpRun> => {
      const tag = `${who}${++runNo}`;
      const cs = Array.from({ length: THROUGHPUT_MESSAGES }, (_, i) => ({ ...p.make(i), subject: `${p.make(i).subject} ${tag}` }));
      proxy.reset();
      const before = sink.received?.() ?? 0;
      const t0 = performance.now();
      const r = await withTimeout(run(cs), 240000, `${who} throughput`);
      const at = typeof r === "number" ? r : r.at;
      const queuedMs = typeof r === "number" ? undefined : r.queuedMs;
      const delivered = sink.received ? sink.received() - before : THROUGHPUT_MESSAGES;
      // Connections opened for this run (a previous client's connection closing late is not one of them).
      const connections = proxy.connections().filter((c) => c.openedAt >= t0).length;
      return { ms: at - t0, connections, delivered, queuedMs };
    };
    const add = (side: ThroughputRow["alertmail"], r: TpRun | string) => {
      if ("skipped" in side) return;
      if (typeof r === "string") side.errors.push(r);
      else side.runs.push(r);
    };
    const runNodemailer = async () => {
      const pool = pooledNodemailer(via);
      try {
        add(row.nodemailer, await measure("nm", (cs) => pool.sendAll(cs.map((c) => ({ ...c, html: p.html })))));
      } catch (e) {
        add(row.nodemailer, `failed: ${errText(e)}`);
      }
      pool.close();
    };
    const runAlertmail = async () => {
      const r = await withBoard(
        { target: via, keepAliveSeconds: 60, outboxMax: THROUGHPUT_MESSAGES + 10, storageBytes: 64 * 1024 * 1024 },
        async (am): Promise<TpRun | string | { skipped: string }> => {
          if (typeof am === "string") return { skipped: am };
          try {
            return await measure("am", (cs) => am.sendAll(cs, p.html));
          } catch (e) {
            return `failed: ${errText(e)}`;
          }
        },
      );
      if (typeof r === "object" && "skipped" in r) row.alertmail = r;
      else add(row.alertmail, r);
    };
    try {
      for (let round = 0; round < TP_ROUNDS; round++) {
        progress(`throughput: ${THROUGHPUT_MESSAGES} × ${p.name}, round ${round + 1} of ${TP_ROUNDS}`);
        // Alternate who goes first, so a busy moment on the shared machine does not always hit the same client.
        if ((round + runNo) % 2 === 0) {
          await runNodemailer();
          await runAlertmail();
        } else {
          await runAlertmail();
          await runNodemailer();
        }
      }
      const rate = (x: ThroughputRow["alertmail"]) =>
        "skipped" in x ? x.skipped : x.runs.map((r) => ((r.delivered / r.ms) * 1000).toFixed(1)).join(", ") + " msg/s" + (x.errors.length ? `, ${x.errors[0]}` : "");
      progress(`  ${p.name}: alertmail ${rate(row.alertmail)}; nodemailer ${rate(row.nodemailer)}`);
    } finally {
      await proxy.close();
    }
  }
  return rows;
}

const PROFILE_MESSAGES = 20;

/** An untimed pass under the CPU profiler: how much of alertmail's time is the firmware, how much the simulator. */
async function cpuProfile(servers: Server[]): Promise<CpuProfileResult> {
  const sink = servers.find((s) => s.offers === "PIPELINING" && !s.skipped);
  if (!sink) return { skipped: "no embedded sink" };
  progress(`CPU profile: alertmail sending ${PROFILE_MESSAGES} × 20 KB HTML in the simulator`);
  const html = htmlOfBytes(20 * 1024, "bench report");
  return withBoard({ target: sink.target, keepAliveSeconds: 60, outboxMax: PROFILE_MESSAGES + 10, storageBytes: 16 * 1024 * 1024 }, async (am) => {
    if (typeof am === "string") return { skipped: am };
    try {
      const cs = Array.from({ length: PROFILE_MESSAGES }, (_, i) => ({ subject: `bench profile ${i}` }));
      const { shares } = await profileShares(() => withTimeout(am.sendAll(cs, html), 120000, "alertmail"));
      return { messages: PROFILE_MESSAGES, payload: "20 KB HTML", ...shares };
    } catch (e) {
      return { skipped: `failed: ${errText(e)}` };
    }
  });
}

async function boardCost(servers: Server[]): Promise<BoardCost> {
  const cost: BoardCost = {
    bytes: null,
    variablesFromRam: null,
    variablesFromStorage: null,
    esp32Variables: ESP32_VARIABLES,
    modules: [],
    largestWrite: { skipped: "not measured" },
  };
  const appJs = join(ROOT, "firmware", "app.js");
  const metaJson = join(ROOT, "firmware", "meta.json");
  if (existsSync(appJs)) {
    cost.bytes = readFileSync(appJs).length;
    const v = variablesFor(cost.bytes);
    cost.variablesFromRam = v.ram;
    cost.variablesFromStorage = v.storage;
  } else cost.note = "firmware/app.js was not built";
  if (existsSync(metaJson)) cost.modules = moduleShares(JSON.parse(readFileSync(metaJson, "utf8")), ROOT).modules;
  else cost.note = "firmware/meta.json missing (the build writes it)";
  const sink = servers.find((s) => s.offers === "PIPELINING" && !s.skipped);
  if (!sink) {
    cost.largestWrite = { skipped: "no embedded sink" };
    return cost;
  }
  progress("board cost: largest socket write while sending a 20 KB HTML alert");
  cost.largestWrite = await withBoard({ target: sink.target, keepAliveSeconds: 0 }, async (am) => {
    if (typeof am === "string") return { skipped: am };
    try {
      am.eval(SOCKET_WRITE_PROBE);
      await withTimeout(am.send({ subject: "bench board cost html", html: htmlOfBytes(20 * 1024, "bench report") }), 60000, "alertmail");
      const stats = JSON.parse(String(am.eval(SOCKET_WRITE_STATS_READ))) as { max: number; writes: number; bytes: number };
      if (!stats.writes) return { skipped: "the probe saw no socket writes (the firmware does not call require(\"tls\").connect at send time)" };
      return stats;
    } catch (e) {
      return { skipped: `failed: ${errText(e)}` };
    }
  });
  return cost;
}

/** Median (min–max) of 7 timings of a synchronous call, in ms. */
function time7(fn: () => void): string {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return `${times[3].toFixed(2)} ms median (${times[0].toFixed(2)}–${times[6].toFixed(2)})`;
}

/** The simulator's own cost per connect, measured here, so a reader can tell it from the firmware's. */
async function simulatorNotes(): Promise<string[]> {
  // Every bench connect goes to a server in this process (the flight proxy): measure that case,
  // and a closed port (the check's slow path, read from /proc).
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const open = time7(() => isLocalPortListening(port));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const closed = time7(() => isLocalPortListening(port));
  return [
    `Before each connect the simulator checks synchronously that the port is listening (host-sim/net.ts \`isLocalPortListening\`, so a refused connect throws like on the board): ${open} on this machine for a port one of the process's own servers listens on (every connect below), ${closed} for a closed port (read from /proc); it is inside every alertmail trigger→connect and cold trigger→250 time below; the board has no such cost.`,
  ];
}

async function build(unavailable: string[]) {
  progress("building firmware/app.js");
  try {
    const r = await buildFirmware();
    // Never measure a stale firmware/app.js: a failed build makes the alertmail side unavailable.
    if (!r.ok) bootFailure = `not available: firmware build failed: ${r.errors.slice(0, 2).join("; ")}`;
  } catch (e) {
    bootFailure = `not available: firmware build failed: ${errText(e)}`;
  }
  if (bootFailure) unavailable.push(bootFailure);
}

/** Cold alerts through Postmark's HTTPS mock at each delay (issue 16's bench row). */
async function apiRows(): Promise<ApiRow[] | { skipped: string }> {
  const missing = alertmailMissing() ?? bootFailure;
  if (missing) return { skipped: missing };
  progress("cold alerts → postmark API mock (HTTPS)");
  const rows: ApiRow[] = [];
  for (const delayMs of DELAYS) {
    const t = await apiTrials({ provider: "postmark", delayMs, n: N });
    rows.push({ provider: t.provider, delayMs, side: { trials: t.trials, errors: t.errors } });
    progress(`  api postmark +${delayMs} ms: ${t.trials.length} trials, ${t.errors.length} failed`);
  }
  return rows;
}

async function main() {
  const unavailable: string[] = [];
  progress(`alertmail bench: ${N} trials per client per cell, delays ${DELAYS.join("/")} ms one-way`);
  await build(unavailable);
  const missing = alertmailMissing();
  if (missing) unavailable.push(`alertmail side: ${missing}`);
  const servers = await startServers(unavailable);
  // Ctrl-C must not leave the throwaway Postfix running.
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping the servers`);
      Promise.allSettled(servers.map((s) => s.stop())).then(() => process.exit(130));
    });
  }
  const notes = await simulatorNotes();
  try {
    // The real interpreter first (it needs the telnet port alone); a failure there leaves the simulator rows.
    const real = bootFailure
      ? { skipped: bootFailure }
      : await realSide(progress, REAL_N).catch((e) => ({ skipped: `failed: ${errText(e)}` }));
    if ("skipped" in real) progress(real.skipped);
    const { cold, warm } = await coldAndWarm(servers);
    const api = await apiRows().catch((e) => ({ skipped: `failed: ${errText(e)}` }));
    const tp = await throughput(servers);
    const cpu = await cpuProfile(servers);
    const board = await boardCost(servers);
    const cpuList = cpus();
    const results: Results = {
      info: {
        date: new Date().toISOString(),
        durationS: (performance.now() - started) / 1000,
        versions: {
          alertmail: `${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version} (${gitDescription()})`,
          nodemailer: pkgVersion("nodemailer"),
          "smtp-server": pkgVersion("smtp-server"),
          postfix: sh("postconf", ["-d", "-h", "mail_version"]) || "not installed",
          node: process.version,
        },
        machine: {
          os: `${osType()} ${release()}`,
          cpus: `${cpuList.length} × ${cpuList[0]?.model?.trim() ?? "?"}`,
        },
        trialsPerCell: N,
        unavailable,
        notes: probeMisses
          ? [...notes, `${probeMisses} alertmail send(s) were timed at the firmware's "sent" log line: the socket probe saw no 250 for them.`]
          : notes,
      },
      cold,
      warm,
      throughput: tp,
      cpu,
      board,
      real,
      api,
    };
    writeFileSync(join(ROOT, "bench", "RESULTS.md"), renderMarkdown(results));
    writeFileSync(join(ROOT, "bench", "chart.svg"), renderChart(cold));
    progress("wrote bench/RESULTS.md and bench/chart.svg");
    // The README's summary comes from the same data; only the block between its markers changes.
    const readmePath = join(ROOT, "README.md");
    try {
      const readme = readFileSync(readmePath, "utf8");
      writeFileSync(readmePath, replaceReadmeBlock(readme, renderReadmeSummary(results, { budgetBytes: FIRMWARE_BUDGET_BYTES })));
      progress("rewrote the summary between the bench markers in README.md");
    } catch (e) {
      console.error(`README.md summary not written: ${errText(e)}`);
    }
    for (const t of checkTargets(results)) console.log(`  ${t.verdict.padEnd(12)} ${t.target}: ${t.measured}`);
  } finally {
    for (const s of servers) await s.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e?.stack ?? e);
    process.exit(1);
  },
);
