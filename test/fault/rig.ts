// The fault suite's rig: boots the REAL firmware/app.js in the simulator against a scripted SMTP server,
// queues alerts through alertmail.send, and checks the outcome the way a user would: after a reboot
// and a drain, every alert reached every recipient that did not answer 5xx, each refusal was reported
// in a later mail, bodies arrived byte for byte, no 0xFF garbage went out, the outbox emptied, and an
// alert that arrived twice carried the same Message-ID both times.
import { readFileSync } from "node:fs";
import { simpleParser } from "mailparser";
import { createSimBoard, type SimBoard } from "../../host-sim/board.ts";
import type { DeviceConfig } from "../../src/config.ts";
import { APP_JS } from "../../tools/build.ts";
import { storageFiles } from "../../tools/flash/payload.ts";
import { testConfig } from "../firmware/harness.ts";
import { makeStorage } from "../sim/helpers.ts";
import type { ScriptServer } from "./script-server.ts";

/** The bundle under test (built by test/global-setup.ts). */
export const APP = process.env.ALERTMAIL_APP_JS ?? APP_JS;
export const USER = { user: "alarm", password: "s3cret" };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AlertSpec {
  subject: string;
  /** Text body as the user wrote it (UTF-8, "\n" line ends). */
  body: string;
  to: string[];
}

export interface BoardOptions {
  port: number;
  tls: boolean;
  keepAliveSeconds?: number;
  /** Per-reply timeout (fractions allowed: the firmware only multiplies it). */
  timeoutSeconds?: number;
  /** A Storage folder to boot on again (after a power cut); default a fresh one with app.js and the config. */
  storageDir?: string;
  log?: (line: string) => void;
}

let appBytes: Buffer | undefined;

export function faultConfig(o: BoardOptions): DeviceConfig {
  return testConfig((c) => {
    c.smtp.host = "127.0.0.1";
    c.smtp.port = o.port;
    c.smtp.security = o.tls ? "tls" : "plain";
    c.smtp.trustedRelay = !o.tls;
    c.smtp.user = USER.user;
    c.smtp.password = USER.password;
    c.smtp.to = [{ name: "", address: "owner@x.test" }];
    c.smtp.cc = [];
    c.smtp.bcc = [];
    c.smtp.keepAliveSeconds = o.keepAliveSeconds ?? 0;
    c.smtp.timeoutSeconds = o.timeoutSeconds ?? 1;
    c.outbox = { max: 20, retrySeconds: 0.3, maxRetrySeconds: 0.6, coalesceSeconds: 0.05 };
    c.alerts = [];
  });
}

/** A fresh Storage folder holding app.js and the configuration, as `npm run flash` leaves it. */
export function flashedStorage(o: BoardOptions): string {
  appBytes ??= readFileSync(APP);
  const files: Record<string, Buffer> = {};
  for (const f of storageFiles(appBytes, faultConfig(o))) files[f.name] = f.data;
  return makeStorage(files);
}

export async function bootBoard(o: BoardOptions & { storageDir: string }): Promise<SimBoard> {
  const board = createSimBoard({ storageDir: o.storageDir, log: o.log });
  board.boot();
  await board.waitForOutput(/^alertmail: (ready|no configuration|bad configuration)/, 15000);
  return board;
}

/** alertmail.send as console code: the body's UTF-8 bytes, one char each, as the board holds strings. */
export function sendCode(a: AlertSpec): string {
  const bytes = (s: string) => JSON.stringify(Buffer.from(s, "utf8").toString("latin1"));
  return `alertmail.send({subject:${bytes(a.subject)},text:${bytes(a.body)},to:${JSON.stringify(a.to)}})`;
}

export function outbox(board: SimBoard): { queued: number; sending: boolean } {
  try {
    return (board.eval("alertmail.status()") as { outbox: { queued: number; sending: boolean } }).outbox;
  } catch {
    return { queued: -1, sending: true };
  }
}

/** Waits until the outbox is empty and idle; false if it is not within ms. */
export async function drained(board: SimBoard, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    const s = outbox(board);
    if (s.queued === 0 && !s.sending) return true;
    if (Date.now() > end) return false;
    await sleep(40);
  }
}

export interface Verdict {
  /** alert×recipient pairs neither delivered nor rightly refused (5xx from the server, reported). */
  lost: string[];
  /** Of those: refused with a 5xx by the server but never reported in a later mail. */
  lostReports: string[];
  /** Deliveries whose body is not the alert's (plus an optional report block), or that carry 0xFF. */
  garbage: string[];
  /** Bodies on the wire (accepted or not) holding a 0xFF byte, raw or MIME-encoded. */
  ffOnWire: number;
  /** Alerts delivered more than once to a recipient (allowed with the same Message-ID). */
  duplicates: number;
  /** Alerts delivered under two different Message-IDs. */
  idMismatch: string[];
  /** Mails whose subject is no alert's. */
  unknown: string[];
}

interface Parsed {
  subject: string;
  text: string;
  id: string;
  to: string[];
  raw: Buffer;
}

/**
 * Judges a run from what the server recorded. `alerts` are those the firmware had queued (an alert
 * whose own first write a power cut tore is not one). A pair may stay undelivered only if the server
 * sent a 5xx in a transaction naming that address and a later mail reported it ("Refused: …"): a
 * "damaged record" note excuses nothing, since an alert once queued must survive any single cut.
 */
export async function judge(alerts: AlertSpec[], server: ScriptServer, extra: { carrier?: AlertSpec } = {}): Promise<Verdict> {
  const v: Verdict = { lost: [], lostReports: [], garbage: [], ffOnWire: 0, duplicates: 0, idMismatch: [], unknown: [] };
  // 0xFF (erased flash) in a body: raw, or inside the MIME encoding (=FF, base64), where the decoded
  // UTF-8 text shows it as U+FFFD.
  for (const b of server.bodies) {
    if (b.includes(0xff)) v.ffOnWire++;
    else if (b.length) {
      const p = await simpleParser(b).catch(() => null);
      if (p && ((p.text ?? "") + (typeof p.html === "string" ? p.html : "") + (p.subject ?? "")).includes("\ufffd")) v.ffOnWire++;
    }
  }
  const mails: Parsed[] = [];
  for (const d of server.deliveries) {
    const p = await simpleParser(d.raw);
    mails.push({ subject: p.subject ?? "", text: (p.text ?? "").replace(/\r\n/g, "\n"), id: p.messageId ?? "", to: d.to, raw: d.raw });
  }
  // Report lines: what follows "\n-- \n" at the end of any delivered text.
  const reports: string[] = [];
  for (const m of mails) {
    const i = m.text.lastIndexOf("\n-- \n");
    if (i >= 0) reports.push(...m.text.slice(i + 5).split("\n"));
  }
  // Addresses a 5xx could apply to: those named in a transaction during which (or during the one
  // before which) the server sent one.
  const refusable = new Set<string>();
  // A transaction refused before any RCPT (a 5xx to MAIL without PIPELINING) names nobody: then a
  // message-level report ('Refused: "subject": …') is enough.
  let anonymous5xx = false;
  for (const s of server.sessions) {
    for (const t of s.txns) {
      if (t.sent5xx) t.rcpts.forEach((r) => refusable.add(r));
      if (t.sent5xx && !t.rcpts.length) anonymous5xx = true;
    }
  }
  const all = extra.carrier ? [...alerts, extra.carrier] : alerts;
  for (const m of mails) {
    const a = all.find((x) => x.subject === m.subject);
    if (!a) {
      v.unknown.push(m.subject + (m.raw.includes(0xff) ? " (0xFF bytes)" : ""));
      continue;
    }
    const want = a.body.replace(/\r\n/g, "\n");
    // The message's last line ends with CRLF (RFC 5322 §2.3), so the text may end with one "\n" more.
    const text = m.text.endsWith("\n") && !want.endsWith("\n") ? m.text.slice(0, -1) : m.text;
    const okBody = text === want || (text.startsWith(want + "\n\n-- \n") && text.length > want.length + 5);
    if (!okBody || m.raw.includes(0xff)) v.garbage.push(`"${a.subject}": body ${JSON.stringify(m.text.slice(0, 80))}… is not ${JSON.stringify(want.slice(0, 80))}…`);
  }
  for (const a of alerts) {
    const got = mails.filter((m) => m.subject === a.subject);
    const ids = new Set(got.map((m) => m.id));
    if (ids.size > 1) v.idMismatch.push(`"${a.subject}": ${[...ids].join(" ")}`);
    for (const r of a.to) {
      const n = got.filter((m) => m.to.includes(r)).length;
      if (n > 1) v.duplicates += n - 1;
      if (n > 0) continue;
      const lines = reports.filter((l) => l.startsWith("Refused: ") && l.includes('"' + a.subject + '"'));
      const messageLevel = lines.some((l) => l.startsWith('Refused: "'));
      const reported = messageLevel || lines.some((l) => l.includes(r));
      const pair = `"${a.subject}" → ${r}`;
      const was5xx = refusable.has(r) || (anonymous5xx && messageLevel);
      if (was5xx && reported) continue;
      v.lost.push(pair + (reported ? " (reported refused, but the server sent no 5xx for it)" : was5xx ? " (5xx, not reported)" : ""));
      if (was5xx && !reported) v.lostReports.push(pair);
    }
  }
  return v;
}

export interface RunOutcome {
  verdict: Verdict;
  /** Connections the server saw. */
  sessions: number;
  /** Not drained within the wait while the server behaved (before the reboot). */
  stuck: boolean;
  /** Still not drained after a reboot and another wait. */
  stuckAfterReboot: boolean;
  /** Uncaught firmware errors and halts. */
  errors: string[];
  board: SimBoard;
}

/**
 * One run: boot, queue the alerts (at the given ms after ready), let `faulty` script the server until
 * `until()` says the faults are over (then the server behaves), wait for the outbox to drain, reboot,
 * send a carrier alert (it takes any pending report), drain again, then judge.
 */
export async function runFaults(o: {
  server: ScriptServer;
  tls: boolean;
  keepAliveSeconds?: number;
  alerts: { at: number; alert: AlertSpec }[];
  /** Called once every alert is queued; resolve when the server is to behave again. */
  faultsOver: (board: SimBoard) => Promise<void>;
  drainMs?: number;
  log?: (l: string) => void;
}): Promise<RunOutcome> {
  const storageDir = flashedStorage({ port: o.server.port, tls: o.tls, keepAliveSeconds: o.keepAliveSeconds });
  let board = await bootBoard({ port: o.server.port, tls: o.tls, storageDir, log: o.log });
  const errors: string[] = [];
  const start = Date.now();
  for (const { at, alert } of [...o.alerts].sort((a, b) => a.at - b.at)) {
    const wait = start + at - Date.now();
    if (wait > 0) await sleep(wait);
    board.eval(sendCode(alert));
  }
  await o.faultsOver(board);
  o.server.setScript(undefined);
  const stuck = !(await drained(board, o.drainMs ?? 8000));
  errors.push(...board.errors);
  board.reboot("fault suite: reboot and drain");
  await board.waitForOutput(/^alertmail: ready/, 15000);
  const carrier: AlertSpec = { subject: "carrier " + o.server.port, body: "carries the reports", to: ["carrier@x.test"] };
  board.eval(sendCode(carrier));
  const stuckAfterReboot = !(await drained(board, o.drainMs ?? 8000));
  errors.push(...board.errors.filter((e) => !errors.includes(e)));
  if (board.halted) errors.push("halted");
  board.stop();
  const verdict = await judge(o.alerts.map((x) => x.alert), o.server, { carrier });
  return { verdict, sessions: o.server.sessions.length, stuck, stuckAfterReboot, errors, board };
}

/** One line per problem, for assertion messages. */
export function describeOutcome(r: RunOutcome): string {
  const v = r.verdict;
  return [
    ...v.lost.map((l) => "lost " + l),
    ...v.garbage.map((l) => "garbage " + l),
    ...v.idMismatch.map((l) => "two Message-IDs " + l),
    ...v.unknown.map((l) => "unknown mail " + JSON.stringify(l)),
    v.ffOnWire ? `${v.ffOnWire} bodies with 0xFF on the wire` : "",
    r.stuck ? "outbox stuck while the server behaved" : "",
    r.stuckAfterReboot ? "outbox stuck after a reboot" : "",
    ...r.errors.map((e) => "firmware error " + e),
  ].filter(Boolean).join("\n");
}
