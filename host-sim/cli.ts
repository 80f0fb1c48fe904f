// `npm start`: build firmware/app.js, validate board.json, start the embedded SMTP server, point the
// firmware at it, install code + config into the emulated Storage exactly as flashing does, boot,
// fire every configured alert once and list the mails that arrived. Exit 0 only if all arrived.
//   npm start -- --scenario FILE   timed events instead of the default scenario
//   npm start -- --real            send through board.json's real server (no embedded server)
//   npm start -- --interactive     keep running; type commands (help lists them)
//   npm start -- --board FILE      another board.json
//   npm start -- --console PORT    serve the board's console on tcp://127.0.0.1:PORT (0: any free port) and
//                                  keep running until Ctrl-C, so `npm run flash -- --port tcp://…` can flash it
//   npm start -- --fast            jump the board clock over idle time (a day of heartbeats in seconds)
// `npm start -- --help` lists every option (HELP below).
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { createInterface } from "node:readline";
import type { DeviceConfig } from "../src/config.ts";
import { fileURLToPath } from "node:url";
import { loadBoardConfig } from "../tools/config/load.ts";
import { storageFiles } from "../tools/flash/payload.ts";
import { createSimBoard, type SimBoard } from "./board.ts";
import { condenseFlashReplies, startConsoleServer } from "./console-server.ts";
import { pointFlashedConfig } from "./flashed-config.ts";
import { applyEvent, defaultTriggers, expectedRecipients, readScenario, type ScenarioFile, type Trigger } from "./scenario.ts";
import { startSmtpSink, type ReceivedMail, type SinkFault, type SmtpSink } from "./smtp-sink.ts";
import { apiForRun } from "./api/run.ts";
import { parseWebPort, prepareWeb } from "./web/run.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** `npm start -- --help`: every option parseArgs reads, with what it does. */
export const HELP = `usage: npm start -- [options]
Builds firmware/app.js, checks board.json, starts an embedded SMTP server (implicit TLS) on 127.0.0.1,
boots the firmware in the simulated ESP32, fires every alert once and lists the mails that arrived
(saved as .eml files under sim-runs/). Exit status 0 only if every expected mail arrived.

  --scenario FILE    play FILE's timed events (pins, analog values, WiFi, reboots, server faults, console
                     commands) instead of firing each alert once; checked before building. Examples:
                     host-sim/scenarios/*.json. Exit status 1 if an event fails or expectMails is not met
  --fast             jump the board's clock over idle time (no socket open, nothing due): timers fire in
                     the same order at the times they are due, so a day of hourly heartbeats runs in seconds
  --real             send through the real server in board.json from this PC (no embedded server): try
                     your credentials before flashing
  --interactive, -i  keep running and read commands (fire NAME, status, pin D4 1, wifi down, reboot, …;
                     type help)
  --console PORT     serve the board's console on tcp://127.0.0.1:PORT (0: any free port) until Ctrl-C, so
                     npm run flash -- --port tcp://127.0.0.1:PORT and npm run log work against the simulator
  --web [PORT]       serve the board, its log and the inbox on http://127.0.0.1:PORT until Ctrl-C
  --board FILE       use FILE instead of board.json (board.local.json beside it still overlays it)
  --app BUNDLE       run BUNDLE instead of building src/ (board.json is still checked)
  --wait SECONDS     how long to wait for each alert's mail (default 45)
  --quiet, -q        do not show the board's console lines
  --help, -h         this text
See host-sim/README.md for what the simulator reproduces and what it cannot.`;

export interface CliOptions {
  board?: string;
  scenario?: string;
  real: boolean;
  interactive: boolean;
  /** Max ms to wait for each mail (default 45000). */
  waitMs: number;
  /** Show every console line of the board (default true). */
  verbose: boolean;
  /** Run this bundle instead of building src/ (board.json is still validated). */
  app?: string;
  /** Folder for this run (default sim-runs/<timestamp>/). */
  runDir?: string;
  /** Serve the Espruino-like TCP console on this port of 127.0.0.1 (0: any free port) and stay up until Ctrl-C. */
  console?: number;
  /** Jump the board clock over idle stretches (host-sim/timers.ts SimClock). */
  fast?: boolean;
  /** --web [PORT]: serve the board, its log and the inbox on http://127.0.0.1:PORT (0: any free port) until Ctrl-C. */
  web?: number;
  /** Receives each SMTP session's lines from the embedded server (the --web page's transcripts). */
  transcript?: (session: string, line: string) => void;
}

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { real: false, interactive: false, waitMs: 45000, verbose: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--real") o.real = true;
    else if (a === "--fast") o.fast = true;
    else if (a === "--interactive" || a === "-i") o.interactive = true;
    else if (a === "--quiet" || a === "-q") o.verbose = false;
    else if (a === "--scenario" && argv[i + 1]) o.scenario = argv[++i];
    else if (a === "--board" && argv[i + 1]) o.board = argv[++i];
    else if (a === "--app" && argv[i + 1]) o.app = argv[++i];
    else if (a === "--wait" && argv[i + 1]) o.waitMs = Number(argv[++i]) * 1000;
    else if (a === "--console" && argv[i + 1]) {
      const port = Number(argv[++i]);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--console needs a TCP port number, not ${argv[i]}`);
      o.console = port;
    }
    else if (a === "--web") {
      const port = parseWebPort(argv[i + 1]); // the PORT is optional
      o.web = port ?? 0;
      if (port !== undefined) i++;
    }
    else if (a === "--help" || a === "-h") {
      console.log(HELP);
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return o;
}

const rel = (p: string) => relative(process.cwd(), p) || p;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Row {
  alert: string;
  how: string;
  mail?: ReceivedMail;
  ms?: number;
  /** What the firmware says became of this alert's mail (alertmail.status().rules[alert]): "sent …", "failed …". */
  outcome?: string;
  /** The same as the firmware printed it for this alert: "alertmail: sent …" / "alertmail: failed …". */
  sentLine?: string;
  expectedTo: string[];
}

/** What the firmware says became of an alert's mail (alertmail.status().rules[name]), as UTF-8 text. */
export function ruleOutcome(board: SimBoard, alert: string): string {
  try {
    const st = board.eval("alertmail.status()") as { rules?: Record<string, unknown> } | undefined;
    const r = st?.rules?.[alert];
    return typeof r === "string" ? Buffer.from(r, "latin1").toString("utf8") : "";
  } catch {
    return "";
  }
}

const DONE = /^(sent|failed) /;

/** Waits (on the board clock) until the firmware reports this alert sent or failed; "" if it did not within ms. */
async function waitForOutcome(board: SimBoard, alert: string, ms: number): Promise<string> {
  let over = false;
  const deadline = board.clock.after(ms, () => (over = true));
  for (;;) {
    const r = ruleOutcome(board, alert);
    if (DONE.test(r)) {
      deadline.cancel();
      return r;
    }
    if (over || board.halted) return "";
    await sleep(50);
  }
}

/** The subject in a firmware line `sent "SUBJECT" to 2 recipient(s): …`. */
const sentSubject = (line: string) => /^sent "(.*)" to \d+ recipient/.exec(line)?.[1];

function describeMail(m: ReceivedMail): string[] {
  const parts = [m.parsed.text !== undefined ? "text" : "", m.parsed.html ? "html" : "", ...(m.parsed.attachments ?? []).map((a) => a.filename ?? "attachment")].filter(Boolean);
  return [
    `subject    ${m.parsed.subject ?? "(none)"}`,
    `from       ${m.parsed.from?.text ?? "?"}  (envelope ${m.envelope.from})`,
    `recipients ${m.envelope.to.join(", ")}`,
    `size       ${m.raw.length} bytes, parts: ${parts.join(" + ") || "none"}`,
    `saved      ${m.emlPath ? rel(m.emlPath) : "(not saved)"}`,
  ];
}

/** Everything `npm start` sets up before the scenario runs. */
export interface Run {
  board: SimBoard;
  sink: SmtpSink | null;
  /** The configuration as installed (pointed at the embedded server unless --real). */
  config: DeviceConfig;
  triggers: Trigger[];
  bootAt: number;
  runDir: string;
  /** The firmware printed "alertmail: ready". */
  ready: boolean;
  /** Board-clock time each mail reached the embedded server. */
  arrivedAt: Map<ReceivedMail, number>;
}

/** Build (or take --app), validate board.json, start the server, install Storage, boot; null on failure (reasons said). */
export async function setUpRun(opts: CliOptions, say: (s?: string) => void): Promise<Run | null> {
  const boardFile = opts.board ?? join(ROOT, "board.json");

  // 1. Build (validates board.json and checks the bundle first).
  let appFile = opts.app;
  if (!appFile) {
    say(`building firmware/app.js …`);
    // Imported here: with --app the run needs nothing of the build tooling.
    const { buildFirmware, formatSize } = await import("../tools/build.ts");
    const built = await buildFirmware({ board: boardFile });
    if (!built.ok) {
      say(`build failed (${built.stage}):`);
      built.errors.forEach((e) => say(`  ${e}`));
      return null;
    }
    if (built.size) formatSize(built.size).slice(0, 2).forEach((l) => say(`  ${l}`));
    appFile = built.appJs;
  } else say(`running ${rel(appFile)} (not building src/)`);

  // 2. board.json → DeviceConfig.
  const loaded = loadBoardConfig({ file: boardFile });
  if (!loaded.ok) {
    say(`${rel(boardFile)} is not valid:`);
    loaded.errors.forEach((e) => say(`  ${e}`));
    return null;
  }
  let config: DeviceConfig = loaded.config;

  // 3. Run folder, embedded server, firmware pointed at it.
  const runDir = opts.runDir ?? join(ROOT, "sim-runs", new Date().toISOString().replace(/[:.]/g, "-"));
  mkdirSync(runDir, { recursive: true });
  let sink: SmtpSink | null = null;
  const arrivedAt = new Map<ReceivedMail, number>();
  let clockOf: { now(): number } = { now: () => Date.now() };
  if (!opts.real) {
    const users = config.smtp.user ? [{ user: config.smtp.user, password: config.smtp.password }] : [];
    sink = await startSmtpSink({ users, tls: true, dir: join(runDir, "mail"), transcript: opts.transcript, onMessage: (m) => void arrivedAt.set(m, clockOf.now()) });
    const was = `${config.smtp.host}:${config.smtp.port} (${config.smtp.security})`;
    config = { ...config, smtp: { ...config.smtp, host: "127.0.0.1", port: sink.port, security: "tls" } };
    say(`embedded SMTP server on 127.0.0.1:${sink.port} (implicit TLS, AUTH ${users.length ? `as ${users[0].user}` : "off"}, never relays)`);
    say(`NOTE: the firmware is pointed at 127.0.0.1:${sink.port} instead of ${was}; use --real to send through the real server.`);
  } else {
    say(`--real: the firmware sends through ${config.smtp.host}:${config.smtp.port} (${config.smtp.security}) from this PC.`);
  }
  // An api section: the provider's HTTPS mock beside the sink, its mails in the same inbox (host-sim/api/run.ts).
  config = await apiForRun(config, sink, join(runDir, "mail"), (m) => void arrivedAt.set(m, clockOf.now()), say);

  // 4. Storage, written the way flashing writes it (tools/flash/payload.ts).
  const appJs = readFileSync(appFile);
  const mapFile = `${appFile}.map`;
  const board = createSimBoard({
    storageDir: join(runDir, "storage"),
    sourceMap: existsSync(mapFile) ? readFileSync(mapFile, "utf8") : undefined,
    sourceMapDir: dirname(mapFile),
    allowRemote: opts.real,
    log: opts.verbose ? condenseFlashReplies((l) => say(`  │ ${l}`)) : undefined,
    fastForward: opts.fast,
  });
  clockOf = board.clock;
  if (opts.fast) say("--fast: the board clock jumps over idle time (no socket open, nothing due); every timer still fires in order");
  for (const f of storageFiles(appJs, config)) {
    board.storage.writeBytes(f.name, f.data);
    say(`Storage ${f.name.padEnd(15)} ${f.data.length} bytes`);
  }
  say(`run folder ${rel(runDir)}`);

  const triggers = defaultTriggers(config);
  if (!opts.scenario) triggers.forEach((t) => t.prepare(board));

  // 5. Boot.
  const bootAt = board.clock.now();
  board.boot();
  const readyRe = /^alertmail: (ready|no configuration|bad configuration)/;
  await board.waitForOutput(readyRe, 15000).catch(() => null);
  const readyLine = board.output.find((l) => readyRe.test(l));
  const ready = !!readyLine && readyLine.startsWith("alertmail: ready");
  if (!ready) say(`the firmware did not get ready: ${readyLine ?? "no \"alertmail: ready\" line"}`);
  return { board, sink, config, triggers, bootAt, runDir, ready, arrivedAt };
}

export async function main(argv: string[], say: (s?: string) => void = (s = "") => console.log(s)): Promise<number> {
  const opts = parseArgs(argv);
  if (opts.fast && (opts.interactive || opts.console !== undefined || opts.web !== undefined)) {
    say("--fast jumps the board clock over idle time: it is for scripted runs, not with --interactive, --console or --web");
    return 1;
  }
  let scenario: ScenarioFile | undefined;
  if (opts.scenario) {
    // Checked before building: a typo or a missing file is reported in a second, not after a boot.
    const cfg = loadBoardConfig({ file: opts.board ?? join(ROOT, "board.json") });
    const checked = readScenario(opts.scenario, cfg.ok ? cfg.config.alerts.map((a) => a.name) : undefined);
    if (!checked.ok) {
      say(`scenario ${rel(opts.scenario)} is not valid (nothing was built or run):`);
      checked.errors.forEach((e) => say(`  ${e}`));
      return 1;
    }
    scenario = checked.scenario;
  }
  const web = opts.web === undefined ? null : prepareWeb(opts);
  const run = await setUpRun(opts, say);
  if (!run) return 1;
  const { board, sink } = run;
  // A configuration flashed over the console is pointed at the embedded server too (said on screen).
  const beforeRestart = () => {
    const note = sink ? pointFlashedConfig(board.storage, run.config.smtp) : null;
    if (note) say(`sim: ${note}`);
  };
  const con = opts.console === undefined ? null : await startConsoleServer(board, opts.console, { beforeRestart });
  if (con) {
    say(`sim: console on tcp://127.0.0.1:${con.port} (like the ESP32's telnet console; npm run flash -- --port tcp://127.0.0.1:${con.port})`);
  }
  if (web) {
    await web.serve(run, say); // until Ctrl-C
    await con?.close();
    return finish(run, 0, say);
  }
  let ok = true;
  if (!run.ready && !opts.interactive && !con) return finish(run, 1, say);
  if (opts.interactive) await interactive(board, sink, say);
  else if (!run.ready) ok = false; // --console: stay up anyway, a flash may bring a configuration
  else if (scenario) ok = (await runScenario(run, scenario, opts, say)).ok;
  else ok = (await runDefault(run, opts, say)).ok;
  if (con) {
    if (!opts.interactive) {
      say(`sim: the board keeps running with its console on tcp://127.0.0.1:${con.port}; Ctrl-C stops it`);
      await untilSignal();
    }
    await con.close();
  }
  return finish(run, ok ? 0 : 1, say);
}

/** Resolves at the first SIGINT or SIGTERM (and stops listening for them). */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}

/** Fires every alert once, in order, waiting for each mail; lists them. */
export async function runDefault(run: Run, opts: Pick<CliOptions, "waitMs">, say: (s?: string) => void): Promise<{ ok: boolean; rows: Row[] }> {
  const { board, sink, config, triggers, bootAt } = run;
  const rows: Row[] = [];
  const claimed = new Set<ReceivedMail>();
  for (const t of triggers) {
    const row: Row = { alert: t.alert, how: t.how, expectedTo: expectedRecipients(config, t.alert) };
    rows.push(row);
    const t0 = t.atBoot ? bootAt : board.clock.now();
    if (!t.atBoot) {
      say(`sim: firing "${t.alert}": ${t.how}`);
      try {
        await t.fire(board);
      } catch (e) {
        say(`sim: could not fire "${t.alert}": ${String(e)}`);
        continue;
      }
    }
    // Each alert is paired with its own outcome (the firmware's per-rule result), never with the next line printed.
    const outcome = await waitForOutcome(board, t.alert, opts.waitMs);
    row.outcome = outcome || undefined;
    row.ms = board.clock.now() - t0;
    const subject = sentSubject(outcome);
    if (sink && subject !== undefined) {
      const mail = sink.messages.find((m) => !claimed.has(m) && m.parsed.subject === subject) ?? sink.messages.find((m) => !claimed.has(m));
      if (mail) {
        claimed.add(mail);
        row.mail = mail;
        const at = run.arrivedAt.get(mail);
        if (at !== undefined) row.ms = at - t0;
      }
    }
  }
  await sleep(300); // let the firmware print its "sent" line
  // A transient failure may have been retried since: the summary gives each alert's latest outcome.
  for (const r of rows) {
    if (!r.mail) r.outcome = ruleOutcome(board, r.alert) || r.outcome;
    if (r.outcome) r.sentLine = `alertmail: ${r.outcome}`;
  }
  const delivered = (r: Row) => !!r.mail || (!sink && !!r.outcome?.startsWith("sent "));
  say();
  say(`── ${rows.filter(delivered).length} of ${rows.length} alert mails delivered ──`);
  let ok = true;
  for (const r of rows) {
    if (r.mail) {
      say(`✔ ${r.alert}: ${r.how} → accepted in ${r.ms} ms`);
      describeMail(r.mail).forEach((l) => say(`    ${l}`));
      const missing = r.expectedTo.filter((a) => !r.mail!.envelope.to.includes(a));
      if (missing.length) {
        ok = false;
        say(`    MISSING recipients: ${missing.join(", ")}`);
      }
    } else if (delivered(r)) {
      say(`✔ ${r.alert}: ${r.how} → ${r.outcome} (${r.ms} ms)`);
    } else {
      ok = false;
      say(`✘ ${r.alert}: ${r.how} → ${r.outcome && DONE.test(r.outcome) ? r.outcome : `no mail within ${opts.waitMs / 1000} s${r.outcome ? ` (the firmware says: ${r.outcome})` : ""}`}`);
    }
  }
  const count = claimed.size;
  if (sink && sink.messages.length > count) say(`(and ${sink.messages.length - count} more mail(s) than expected)`);
  return { ok, rows };
}

/** Plays a scenario file's timed events, then lists the mails that arrived. */
export async function runScenario(run: Run, s: ScenarioFile, _opts: CliOptions, say: (s?: string) => void): Promise<{ ok: boolean; mails: ReceivedMail[] }> {
  const { board, sink, bootAt } = run;
  let failed = 0;
  const inject = (f: SinkFault) => {
    if (sink) sink.inject(f);
    else throw new Error("server faults need the embedded server (not with --real)");
  };
  for (const e of s.events) {
    const wait = bootAt + e.at - board.clock.now();
    if (wait > 0) await board.clock.sleep(wait);
    try {
      say(`sim: t=${e.at} ms: ${applyEvent(e, board, inject)}`);
    } catch (err) {
      failed++;
      say(`sim: t=${e.at} ms: event failed: ${String(err)}`);
    }
  }
  const settle = s.settleMs ?? 30000;
  if (sink && s.expectMails !== undefined) {
    // Until the mails are in or `settle` ms of board time have passed.
    let over = false;
    const deadline = board.clock.after(settle, () => (over = true));
    while (!over && sink.messages.length < s.expectMails) await sleep(50);
    deadline.cancel();
  } else await board.clock.sleep(Math.min(settle, 5000));
  say();
  const mails = sink?.messages ?? [];
  say(`── ${mails.length} mail(s) received ──`);
  mails.forEach((m, i) => {
    say(`✔ mail ${i + 1}: accepted ${(run.arrivedAt.get(m) ?? board.clock.now()) - bootAt} ms after boot`);
    describeMail(m).forEach((l) => say(`    ${l}`));
  });
  if (board.clock.skippedMs) say(`(--fast: ${Math.round(board.clock.now() - bootAt)} ms of board time, ${Math.round(board.clock.skippedMs)} ms of it jumped in ${board.clock.jumps} jump(s))`);
  if (failed) say(`✘ ${failed} event(s) failed`);
  if (s.expectMails !== undefined && mails.length < s.expectMails) {
    say(`✘ expected ${s.expectMails} mail(s), got ${mails.length}`);
    return { ok: false, mails };
  }
  return { ok: failed === 0, mails };
}

async function interactive(board: SimBoard, sink: SmtpSink | null, say: (s?: string) => void): Promise<void> {
  const help = [
    "fire NAME          fire an alert (alertmail.fire)",
    "status             alertmail.status()",
    "pin D4 0|1         drive a pin",
    "analog D34 0.7     set an analog input (0..1)",
    "wifi down|up       take the access point away / bring it back",
    "fault STEP REPLY   next reply at connect|auth|mail|rcpt|data|body, e.g. fault rcpt 451 4.3.0 later",
    "drop STEP          drop the connection at that step once",
    "reboot             simulated reboot (same Storage)",
    "mails              list mails received",
    "wait N [SECONDS]   wait until N mails have arrived in all (default 60 s)",
    "js CODE            run CODE on the board's console",
    "quit",
  ];
  say("interactive: type help for commands");
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  for await (const line of rl) {
    const [cmd, ...args] = line.trim().split(/\s+/);
    try {
      if (!cmd) continue;
      if (cmd === "quit" || cmd === "exit") break;
      else if (cmd === "help") help.forEach((h) => say(`  ${h}`));
      else if (cmd === "fire") board.eval(`alertmail.fire(${JSON.stringify(args.join(" "))})`);
      else if (cmd === "status") say(JSON.stringify(board.eval("alertmail.status()"), null, 2));
      else if (cmd === "pin") board.setPin(args[0], args[1] === "1" || args[1] === "high");
      else if (cmd === "analog") board.setAnalog(args[0], Number(args[1]));
      else if (cmd === "wifi") args[0] === "down" ? board.wifiDown() : board.wifiUp();
      else if (cmd === "reboot") board.reboot("console");
      else if (cmd === "fault" && sink) sink.inject({ at: args[0] as SinkFault["at"], reply: args.slice(1).join(" ") });
      else if (cmd === "drop" && sink) sink.inject({ at: args[0] as SinkFault["at"], disconnect: true });
      else if (cmd === "mails") (sink?.messages ?? []).forEach((m, i) => say(`  ${i + 1}. ${m.parsed.subject} → ${m.envelope.to.join(", ")} (${m.raw.length} bytes) ${m.emlPath ? rel(m.emlPath) : ""}`));
      else if (cmd === "wait" && sink) {
        const n = Number(args[0]);
        const got = await sink.waitForMessages(n, Number(args[1] ?? 60) * 1000).then(
          () => true,
          () => false,
        );
        say(got ? `${sink.messages.length} mail(s) in` : `still ${sink.messages.length} of ${n} mail(s)`);
      } else if (cmd === "js") {
        const r = board.eval(args.join(" "));
        if (r !== undefined) say(`= ${JSON.stringify(r)}`);
      } else say(`unknown command ${cmd} (help lists them)`);
    } catch (e) {
      say(`error: ${String(e)}`);
    }
  }
  rl.close();
}

/** Prints the board's summary, stops board and server; non-zero if the firmware threw or halted. */
export async function finish(run: Run, code: number, say: (s?: string) => void): Promise<number> {
  const { board, sink } = run;
  const m = board.memory();
  say(
    `board: ${board.boots} boot(s), deepest call chain ${board.maxCallDepth} frames (ceiling 25), process.memory() ≈ ${m.usage}/${m.total} variables, ${board.errors.length} uncaught error(s)${board.halted ? ", HALTED" : ""}`,
  );
  if (board.deepestStack) say(`  deepest chain (innermost first): ${board.deepestStack}`);
  if (board.errors.length) board.errors.forEach((e) => say(`  uncaught: ${e}`));
  board.stop();
  await sink?.close();
  return board.halted || board.errors.length ? 1 : code;
}

if (process.argv[1] && /host-sim[\\/]cli\.ts$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
