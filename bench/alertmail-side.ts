// The alertmail side of the bench: the REAL firmware/app.js booted in the host simulator, configured
// for a target SMTP port, sending through alertmail.send() and timed by its own log lines.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { DeviceConfig } from "../src/config.ts";
import { FROM, TO } from "./messages.ts";
import type { Content, SmtpTarget } from "./nodemailer-side.ts";
import { createSimBoard } from "../host-sim/board.ts";
import { createSimStorage } from "../host-sim/storage.ts";
import { storageFiles } from "../tools/flash/payload.ts";

const ROOT = join(import.meta.dirname, "..");

export interface BoardOptions {
  target: SmtpTarget;
  keepAliveSeconds: number;
  outboxMax?: number;
  storageBytes?: number;
  /** The bundle to flash (default firmware/app.js). */
  appJs?: string;
}

/** The configuration the bench flashes: one sender, one recipient, no rules, no coalescing wait. */
export function benchConfig(o: BoardOptions): DeviceConfig {
  const mailbox = (address: string) => ({ name: "", address });
  return {
    device: { name: "bench-board", timezone: "UTC0", watchdogSeconds: 0, ntpServer: "pool.ntp.org" },
    wifi: { ssid: "bench", password: "bench-wifi" },
    smtp: {
      host: "127.0.0.1",
      port: o.target.port,
      security: "tls",
      user: o.target.user,
      password: o.target.password,
      trustedRelay: false,
      from: mailbox(FROM),
      to: [mailbox(o.target.to ?? TO)],
      cc: [],
      bcc: [],
      helo: "bench-board.local",
      keepAliveSeconds: o.keepAliveSeconds,
      timeoutSeconds: 30,
    },
    alerts: [],
    // coalesceSeconds 0: the default 2 s window would add up to 2 s by design; the bench measures the protocol.
    outbox: { max: o.outboxMax ?? 20, retrySeconds: 30, maxRetrySeconds: 3600, coalesceSeconds: 0 },
    sketch: { loopMs: 0 },
  };
}

/** Why the alertmail side cannot run, or null when the bundle is there. */
export function alertmailMissing(): string | null {
  return existsSync(join(ROOT, "firmware", "app.js")) ? null : "not available: firmware/app.js was not built";
}

export interface AlertmailBoard {
  /** Sends one message; resolves with performance.now() when the firmware logged the server's reply. */
  send(c: Content): Promise<number>;
  /** Queues every message in one console command; resolves when all were logged as sent, with the time the queueing took. */
  sendAll(cs: Content[], sharedHtml?: string): Promise<{ at: number; queuedMs: number }>;
  eval(code: string): unknown;
  lines: string[];
  /** Sends whose end fell back to the "sent" log line because the 250 probe saw nothing. */
  endedAtLogLine(): number;
  stop(): void;
}

/**
 * Console code: wraps require("tls"/"net").connect so every socket's `data` handler first calls the
 * host's __bench250() when the data holds a 250 reply line. Runs in the firmware's context.
 */
const RX_PROBE = `(function(g){["tls","net"].forEach(function(n){var m=require(n);if(m.__benchRx)return;m.__benchRx=1;var c=m.connect;m.connect=function(){var s=c.apply(m,arguments);var on=s.on;s.on=function(ev,fn){if(ev==="data"){var f=fn;fn=function(d){if(/(^|\\n)250/.test(d))g.__bench250();return f.apply(this,arguments)}}return on.apply(s,[ev,fn])};return s}})})(this)`;

/** Boots the bundle with the bench config; rejects with the firmware's words if it does not get ready. */
export async function startAlertmailBoard(o: BoardOptions): Promise<AlertmailBoard> {
  const dir = mkdtempSync(join(tmpdir(), "alertmail-bench-"));
  // Installed the way flashing writes them (tools/flash/payload.ts), into the simulator's Storage folder.
  const storage = createSimStorage({ dir, capacity: o.storageBytes });
  for (const f of storageFiles(readFileSync(o.appJs ?? join(ROOT, "firmware", "app.js")), benchConfig(o))) storage.writeBytes(f.name, f.data);
  const lines: string[] = [];
  const watchers = new Set<(line: string, at: number) => void>();
  const board = createSimBoard({
    storageDir: dir,
    storageBytes: o.storageBytes,
    log: (line: string) => {
      const at = performance.now();
      lines.push(line);
      for (const w of watchers) w(line, at);
    },
  });
  const discard = () => {
    board.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  board.boot();
  try {
    await board.waitForOutput(/alertmail: (ready|no configuration|bad configuration)/, 15000);
  } catch (e) {
    discard();
    throw new Error(`firmware did not print "alertmail: ready": ${lines.slice(-3).join(" | ") || (e as Error).message}`);
  }
  const bad = lines.find((l) => /alertmail: (no|bad) configuration/.test(l));
  if (bad) {
    discard();
    throw new Error(bad);
  }

  // Times the firmware's socket `data` events that carry a 250 reply, on the host clock, so a send
  // ends when the firmware got the server's 250 (not when it got round to logging it, after a QUIT).
  let last250 = -1;
  let endedAtLogLine = 0;
  const global = board.eval("(function(){return this})()") as Record<string, unknown>;
  global.__bench250 = () => {
    last250 = performance.now();
  };
  board.eval(RX_PROBE);

  /** Resolves when every subject got its "sent" line; rejects at the first "failed" line for one. */
  function waitSent(subjects: string[], timeoutMs: number): Promise<number> {
    const pending = new Set(subjects);
    const since = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(watch);
        reject(new Error(`${pending.size} of ${subjects.length} not sent in ${timeoutMs} ms; last: ${lines.slice(-2).join(" | ")}`));
      }, timeoutMs);
      const watch = (line: string, at: number) => {
        const m = /^alertmail: (sent|failed)\b.*?"([^"]*)"/.exec(line);
        if (!m || !pending.has(m[2])) return;
        if (m[1] === "failed") {
          clearTimeout(timer);
          watchers.delete(watch);
          reject(new Error(line));
          return;
        }
        pending.delete(m[2]);
        if (pending.size === 0) {
          clearTimeout(timer);
          watchers.delete(watch);
          const probed = last250 >= since && last250 <= at;
          if (!probed) endedAtLogLine++;
          resolve(probed ? last250 : at);
        }
      };
      watchers.add(watch);
    });
  }

  return {
    lines,
    endedAtLogLine: () => endedAtLogLine,
    eval: (code) => board.eval(code),
    send(c) {
      const done = waitSent([c.subject], 60000);
      board.eval(`alertmail.send(${JSON.stringify(c)})`);
      return done;
    },
    async sendAll(cs, sharedHtml) {
      const done = waitSent(
        cs.map((c) => c.subject),
        240000,
      );
      const list = JSON.stringify(cs.map((c) => ({ subject: c.subject, text: c.text })));
      const html = sharedHtml === undefined ? "undefined" : JSON.stringify(sharedHtml);
      const t0 = performance.now();
      board.eval(`(function(){var h=${html};${list}.forEach(function(m){if(h!==undefined)m.html=h;alertmail.send(m)})})()`);
      const queuedMs = performance.now() - t0;
      return { at: await done, queuedMs };
    },
    stop: discard,
  };
}
