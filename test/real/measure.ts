// Memory of firmware/app.js on the real interpreter: variables at rest, and the sampled peak while
// sending a short alert and a 20 KB HTML alert, on a plain relay and (reported apart) over TLS.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceMapConsumer } from "source-map-js";
import { startSmtpSink, type SmtpSink } from "../../host-sim/smtp-sink.ts";
import { realApp, startRealBoard, type RealBoard } from "./harness.ts";

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
/** Console code: bytes of the largest outbox file (amq…) in Storage now. */
const LARGEST_OUTBOX = `(function(){var S=require("Storage"),m=0;S.list(/^amq/).forEach(function(n){var l=S.read(n).length;if(l>m)m=l});return m})()`;

export interface PeakRun {
  /** What was sent: "alertmail.test()" or "alertmail.send({html}) of N bytes". */
  scenario: string;
  /** Highest process.memory(false).usage sampled every 5 ms from the trigger until the firmware logged
   * "sent", minus the stand-ins. */
  peak: number;
  /** The largest outbox file in Storage while it was sent. */
  outboxBytes: number;
  /** What the simulator counts as the message held when it replays this scenario on the same bundle
   * (the longest outbox piece the firmware read; test/real/fit-memory.ts), recorded with the fixture. */
  simHeldBytes?: number;
  samples: number;
}

export interface MemoryRun {
  security: "plain" | "tls";
  /** "shipped rules" (board.json's alerts) or "no rules". */
  rules: string;
  /** Interpreter alone (+ the harness's sampler object), at the start of .boot0. */
  bare: number;
  /** What the .boot0 stand-ins (Wifi module, analogRead, setWatch, sampler) cost: taken out below. */
  standIns: number;
  codeBytes: number;
  /** alertmail.json in Storage. */
  configBytes: number;
  /** process.memory().usage after boot (and the boot alert sent), minus standIns. */
  rest: number;
  /** The same with the code loaded but no configuration: the firmware stops at "no configuration" and,
   * nothing referring to it any more, its functions are freed: what is left is the interpreter's. */
  codeOnly?: number;
  peaks: PeakRun[];
}

/** Boots `t` with the shipped board.json (or no rules), measures rest, then each send's sampled peak. */
export async function measureMemory(
  t: Target,
  o: { noRules?: boolean; htmlKB?: number[]; short?: boolean; codeOnly?: boolean; log?: (s: string) => void } = {},
): Promise<MemoryRun> {
  const log = o.log;
  const b = await startRealBoard({ board: boardFor(t, o.noRules ? { alerts: [] } : {}), log: log && ((l) => log(`  | ${l}`)) });
  try {
    // The shipped board.json has a boot rule: at rest = once its mail is gone.
    await b.idle(o.noRules ? 0 : 1);
    await new Promise((r) => setTimeout(r, 500));
    const rl = await b.eval<{ m0: number; m1: number; c: number; k: number }>(
      `({m0:__rl.m0,m1:__rl.m1,c:require("Storage").read("alertmail.json").length,k:require("Storage").read(".bootcde").length})`,
    );
    const standIns = rl.m1 - rl.m0;
    const run: MemoryRun = {
      security: t.security,
      rules: o.noRules ? "no rules" : "shipped rules",
      bare: rl.m0,
      standIns,
      codeBytes: rl.k,
      configBytes: rl.c,
      rest: (await b.usage()) - standIns,
      peaks: [],
    };
    if (o.short !== false) {
      const from = b.lines.length;
      const ob = await b.eval<number>(`(__rl.sample(1),alertmail.test(),${LARGEST_OUTBOX})`);
      await waitSent(b, "Garage: test mail", from);
      const p = await b.eval<{ max: number; n: number }>(READ_PEAK);
      run.peaks.push({ scenario: "alertmail.test()", peak: p.max - standIns, outboxBytes: ob, samples: p.n });
    }
    for (const kb of o.htmlKB ?? [20]) {
      const from = b.lines.length;
      const subject = `real ${kb} KB HTML`;
      // The caller's string is gone before the first sample: the peak is the firmware's own.
      const r = await b.eval<{ n: number; ob: number }>(
        `(function(){var h=${htmlInInterpreter(kb * 1024)};alertmail.send({subject:${JSON.stringify(subject)},html:h});` +
          `var n=h.length;h=undefined;var ob=${LARGEST_OUTBOX};__rl.sample(1);return {n:n,ob:ob}})()`,
      );
      await waitSent(b, subject, from);
      const p = await b.eval<{ max: number; n: number }>(READ_PEAK);
      run.peaks.push({ scenario: `alertmail.send({html}) of ${r.n} bytes`, peak: p.max - standIns, outboxBytes: r.ob, samples: p.n });
    }
    if (o.codeOnly) {
      await b.eval('require("Storage").erase("alertmail.json")');
      await b.load(/alertmail: no configuration/);
      await new Promise((r) => setTimeout(r, 300));
      run.codeOnly = (await b.usage()) - standIns;
    }
    return run;
  } finally {
    await b.stop();
  }
}

export interface MemoryReport {
  /** Plain relay, shipped rules: rest, a short alert, 10 and 20 KB HTML alerts. */
  plain: MemoryRun;
  /** Plain relay, no rules: rest only (how the configuration weighs). */
  plainNoRules: MemoryRun;
  /** Implicit TLS with AUTH: on this build mbedtls takes its memory from the variables (not on an ESP32). */
  tls: MemoryRun;
}

/** The three runs against the embedded sink (about 2 minutes under qemu). */
export async function memoryReport(log?: (s: string) => void): Promise<MemoryReport> {
  const sinks: SmtpSink[] = [];
  try {
    const plain = await startSmtpSink({ tls: false });
    sinks.push(plain);
    const tls = await startSmtpSink({ tls: true, users: [{ user: USER, password: PASSWORD }] });
    sinks.push(tls);
    const p = { port: plain.port, security: "plain" as const };
    return {
      plain: await measureMemory(p, { htmlKB: [10, 20], log }),
      plainNoRules: await measureMemory(p, { noRules: true, short: false, htmlKB: [], log }),
      tls: await measureMemory({ port: tls.port, security: "tls", user: USER, password: PASSWORD }, { htmlKB: [20], log }),
    };
  } finally {
    for (const s of sinks) await s.close();
  }
}

export interface BreakdownRow {
  /** "firmware boot() scope", "bundle module scope" or "interpreter (timers, watches, modules)". */
  where: string;
  /** What it is: the source name (from the bundle's source map) or a description of the value. */
  what: string;
  /** Variables that only this holds (the total falls by this much without it). */
  vars: number;
}

/**
 * Console code: the firmware's scopes (every scope on the chain of alertmail's functions, of the
 * timers' callbacks, and of the first function of each object found in them), and for each of their
 * variables and each of the interpreter's hidden root entries the variables only it keeps alive:
 * E.getSizeOf of everything reachable, with and without it.
 */
const BREAKDOWN = `(function(){var z=E.getSizeOf,h=global["\\xFF"],S=[],F=[],out=[];
function add(f){var c=typeof f=="function"&&f["\\xFFsco"];if(!c)return;if(!Array.isArray(c))c=[c];c.forEach(function(x,i){if(x&&S.indexOf(x)<0){S.push(x);F.push(i==c.length-1?f:null)}})}
Object.keys(alertmail).forEach(function(k){add(alertmail[k])});
var T=h.timers;if(T)Object.keys(T).forEach(function(k){add(T[k]&&T[k].callback)});
S.slice().forEach(function(s){Object.keys(s).forEach(function(k){var v=s[k];if(v&&typeof v=="object"&&!Array.isArray(v))for(var p in v)if(typeof v[p]=="function"){add(v[p]);break}})});
var R=[global].concat(S),t=z(R);
function ex(o,w){Object.keys(o).forEach(function(k){var v=o[k];o[k]=undefined;var d=t-z(R);o[k]=v;if(d>=1)out.push([w,k,d,typeof v,
typeof v=="function"?(""+v).slice(0,160):(v&&typeof v=="object")?Object.keys(v).slice(0,6).join(","):""])})}
S.forEach(function(s,i){ex(s,""+i)});ex(h,"hidden");
return {t:t,rows:out,scopes:S.map(function(s,i){return F[i]?(""+F[i]).slice(0,160):""}),cfg:z(JSON.parse(require("Storage").read("alertmail.json")))}})()`;

/** Source name of a bundle function from its text (Espruino prints a function from its code in Storage). */
export function nameFunction(text: string, appJs: string, map: SourceMapConsumer): string {
  const body = text.slice(text.indexOf("{") + 1).slice(0, 60);
  const at = body.length >= 12 ? appJs.indexOf(body) : -1;
  if (at < 0) return "a function";
  const fnAt = appJs.lastIndexOf("function", at);
  const before = appJs.slice(0, fnAt);
  const line = before.split("\n").length;
  const column = fnAt - before.lastIndexOf("\n") - 1;
  const p = map.originalPositionFor({ line, column });
  if (!p.source || !p.line) return "a function";
  const src = p.source.replace(/^.*?(src\/)/, "$1");
  let name = p.name ?? "";
  if (!name) {
    try {
      const lineText = readFileSync(join(ROOT, src), "utf8").split("\n")[p.line - 1] ?? "";
      name = /function\s+([\w$]+)/.exec(lineText)?.[1] ?? /([\w$]+)\s*[:=]\s*(?:function|\()/.exec(lineText)?.[1] ?? "";
    } catch {
      /* source not here */
    }
  }
  return `${name || "function"} (${src}:${p.line})`;
}

/** Where the variables go at rest, largest first (rows under `minVars` dropped; the bundle's functions summed). */
export async function variableBreakdown(
  b: RealBoard,
  minVars = 10,
  appFile = realApp(),
): Promise<{ total: number; rows: BreakdownRow[]; functions: { count: number; vars: number }; configObject: number; unattributed: number }> {
  const r = await b.eval<{ t: number; cfg: number; scopes: string[]; rows: [string, string, number, string, string][] }>(BREAKDOWN, 120000);
  const appJs = readFileSync(appFile, "latin1");
  const map = new SourceMapConsumer(JSON.parse(readFileSync(`${appFile}.map`, "utf8")));
  // Scope 0 is the bundle's module scope (first on every chain); the others are named by a function defined in them.
  const where = (w: string) =>
    w === "hidden" ? "interpreter (hidden root)" : w === "0" ? "bundle module scope" : `locals where ${nameFunction(r.scopes[Number(w)] ?? "", appJs, map)} is defined`;
  const moduleFns = r.rows.filter(([w, , , type]) => w === "0" && type === "function");
  const rows = r.rows
    .filter(([w, , vars, type]) => vars >= minVars && !(w === "0" && type === "function"))
    .map(([w, k, vars, type, hint]) => ({
      where: where(w),
      what:
        w === "hidden"
          ? k
          : type === "function"
            ? nameFunction(hint, appJs, map)
            : type === "object"
              ? `an object {${hint}} (\`${k}\` in the bundle)`
              : `a ${type} (\`${k}\` in the bundle)`,
      vars,
    }))
    .sort((a, b) => b.vars - a.vars);
  const counted = r.rows.filter(([w]) => w !== "hidden").reduce((n, x) => n + x[2], 0);
  return {
    total: r.t,
    rows,
    functions: { count: moduleFns.length, vars: moduleFns.reduce((n, x) => n + x[2], 0) },
    configObject: r.cfg,
    unattributed: Math.max(0, r.t - counted),
  };
}
