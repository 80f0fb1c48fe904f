// Memory of firmware/app.js on the real interpreter: variables at rest, and the sampled peak while
// sending a short alert and a 20 KB HTML alert, on a plain relay and (reported apart) over TLS.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startSmtpSink, type SmtpSink } from "../../host-sim/smtp-sink.ts";
import { startRealBoard, type RealBoard } from "./harness.ts";

const ROOT = join(import.meta.dirname, "..", "..");
export const USER = "real";
export const PASSWORD = "real-password";

export interface Target {
  port: number;
  security: "plain" | "tls";
  user?: string;
  password?: string;
  /** AUTH over a plain connection (a LAN relay that asks for it, e.g. Postfix's plain port). */
  trustedRelay?: boolean;
}

/** The shipped board.json (its rules and defaults), pointed at a server on 127.0.0.1. */
export function boardFor(t: Target, over: { alerts?: object[]; smtp?: object; outbox?: object } = {}): object {
  const shipped = JSON.parse(readFileSync(join(ROOT, "board.json"), "utf8"));
  delete shipped.$schema;
  const smtp: Record<string, unknown> = {
    host: "127.0.0.1",
    port: t.port,
    security: t.security,
    from: "Garage alarm <alarm@real.alertmail.local>",
    to: ["Owner <owner@real.alertmail.local>"],
    ...over.smtp,
  };
  if (t.user) Object.assign(smtp, { user: t.user, password: t.password });
  if (t.trustedRelay) smtp.trustedRelay = true;
  return {
    ...shipped,
    wifi: { ssid: "real-lane", password: "real-lane-wifi" },
    smtp,
    ...(over.alerts ? { alerts: over.alerts } : {}),
    ...(over.outbox ? { outbox: { ...shipped.outbox, ...over.outbox } } : {}),
  };
}

/** Console code that builds ~`bytes` of HTML in the interpreter (the report table bench/messages.ts makes). */
export function htmlInInterpreter(bytes: number): string {
  return (
    `(function(){var r="<html><body><h1>real lane</h1><table border=\\"1\\">\\n",i=0;` +
    `while(r.length<${bytes - 200})r+="<tr><td>sensor "+i+"</td><td>"+(i*7%100)+"."+(i++%10)+" C</td><td>ok</td></tr>\\n";` +
    `return r+"</table></body></html>\\n"})()`
  );
}

/** Resolves when the firmware logged the fate of the mail with this subject (rejects on "failed"). */
export async function waitSent(b: RealBoard, subject: string, from: number, timeoutMs = 120000): Promise<{ at: number; line: string }> {
  const esc = subject.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const { line, at } = await b.waitForLine(new RegExp(`alertmail: (sent|failed) "${esc}"`), timeoutMs, from);
  if (/alertmail: failed/.test(line)) throw new Error(line);
  return { at, line };
}

/** Reads the sampled peak and stops the sampler. */
const READ_PEAK = "(function(){var r={max:__rl.max,n:__rl.n};__rl.sample(0);return r})()";

export interface MemoryRun {
  security: "plain" | "tls";
  /** Interpreter alone (+ the harness's sampler object), at the start of .boot0. */
  bare: number;
  /** What the .boot0 stand-ins (Wifi module, analogRead, setWatch, sampler) cost: taken out below. */
  standIns: number;
  /** process.memory().usage after boot, the boot alert sent, minus standIns. */
  rest: number;
  /** Highest process.memory(false).usage sampled every 5 ms while sending, minus standIns. */
  shortPeak: number;
  htmlPeak: number;
  /** HTML bytes of the big alert, as the firmware got them. */
  htmlBytes: number;
  /** Samples taken during the HTML alert (≥ 1 per 5 ms of interpreter idle time). */
  samples: number;
}

/** Boots the shipped rules against `t`, then measures rest, a short alert and a 20 KB HTML alert. */
export async function measureMemory(t: Target, log?: (s: string) => void): Promise<MemoryRun> {
  const b = await startRealBoard({ board: boardFor(t), log: log && ((l) => log(`  | ${l}`)) });
  try {
    // The shipped board.json has a boot rule: at rest = once its mail is gone.
    await b.waitForLine(/alertmail: (sent|failed) "Garage restarted"/, 120000);
    await new Promise((r) => setTimeout(r, 500));
    const rl = await b.eval<{ m0: number; m1: number }>("({m0:__rl.m0,m1:__rl.m1})");
    const standIns = rl.m1 - rl.m0;
    const usage = await b.usage();
    const rest = usage - standIns;

    let from = b.lines.length;
    await b.eval("__rl.sample(1),alertmail.test()");
    await waitSent(b, "Garage: test mail", from);
    const sp = await b.eval<{ max: number; n: number }>(READ_PEAK);
    from = b.lines.length;
    const html = htmlInInterpreter(20 * 1024);
    const htmlBytes = await b.eval<number>(`(function(){var h=${html};alertmail.send({subject:"real 20 KB HTML",html:h});var n=h.length;h=undefined;__rl.sample(1);return n})()`);
    await waitSent(b, "real 20 KB HTML", from);
    const hp = await b.eval<{ max: number; n: number }>(READ_PEAK);
    return { security: t.security, bare: rl.m0, standIns, rest, shortPeak: sp.max - standIns, htmlPeak: hp.max - standIns, htmlBytes, samples: hp.n };
  } finally {
    await b.stop();
  }
}

export interface MemoryReport {
  plain: MemoryRun;
  tls: MemoryRun;
  bundleBytes: number;
}

/** Both runs against the embedded sink: plain (the firmware's own use) and TLS (adds mbedtls's heap on this build). */
export async function memoryReport(log?: (s: string) => void): Promise<MemoryReport> {
  const sinks: SmtpSink[] = [];
  try {
    const plain = await startSmtpSink({ tls: false });
    sinks.push(plain);
    const tls = await startSmtpSink({ tls: true, users: [{ user: USER, password: PASSWORD }] });
    sinks.push(tls);
    return {
      plain: await measureMemory({ port: plain.port, security: "plain" }, log),
      tls: await measureMemory({ port: tls.port, security: "tls", user: USER, password: PASSWORD }, log),
      bundleBytes: readFileSync(join(ROOT, "firmware", "app.js")).length,
    };
  } finally {
    for (const s of sinks) await s.close();
  }
}
