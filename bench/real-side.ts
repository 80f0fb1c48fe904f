// The bench on Espruino's own interpreter ($ESPRUINO, the PC build in the ESP32's variable format,
// flashed by `npm run flash -- --allow-sim`): variables at rest and at the sampled peak, where they
// go, and trigger→250 beside nodemailer through the same flight-counting proxy, shipped defaults.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { startSmtpSink } from "../host-sim/smtp-sink.ts";
import { postfixUnavailable, startPostfix } from "../tools/postfix/postfix.ts";
import { nativeInterpreter, realInterpreter, startRealBoard, type RealBoard } from "../test/real/harness.ts";
import { boardFor, memoryReport, PASSWORD, USER, variableBreakdown, type BreakdownRow, type MemoryReport } from "../test/real/measure.ts";
import { startFlightProxy, type FlightProxy } from "./flight-proxy.ts";
import { quiesce, trial, withTimeout, type Trial } from "./measure.ts";
import { alertText } from "./messages.ts";
import { coldNodemailer, pooledNodemailer, type SmtpTarget } from "./nodemailer-side.ts";
import type { Side } from "./report.ts";

/** One-way delays of the real-interpreter table: none, and 50 ms (100 ms round trip). */
export const REAL_DELAYS = [0, 50];

export interface RealLatencyRow {
  kind: "cold" | "warm";
  /** What triggers the alert: `alertmail.test()` or `alertmail.fire("door")` (a rule, shipped defaults). */
  trigger: string;
  server: string;
  offers: string;
  delayMs: number;
  alertmail: Side;
  nodemailer: Side;
  /** Cold, alertmail: connection opened → the server's second flight (its TLS Finished), per trial. */
  handshakeMs?: number[];
  /** Which interpreter build the alertmail side ran on (short label, e.g. "native 64-bit build"). */
  build?: string;
}

/** The build the latency rows ran on, and why that one. */
export interface TimingBuild {
  /** "Espruino 2v29 ESP32SIM_LINUX64, run natively". */
  interpreter: string;
  /** Short label put on every latency row. */
  label: string;
  /** True for the native timing build (`build-interpreter.sh --native`). */
  native: boolean;
  /** Why the times come from this build, for the reader. */
  why: string;
}

export interface RealResults {
  /** The build the memory rows ran on ($ESPRUINO, the ESP32's variable format):
   * "Espruino 2v29 ESP32SIM_LINUX, run under qemu-i386 (this kernel runs no 32-bit programs)". */
  interpreter: string;
  /** The build the latency rows ran on (absent in results written before there was a choice: $ESPRUINO). */
  timing?: TimingBuild;
  memory: MemoryReport | { skipped: string };
  breakdown: { total: number; rows: BreakdownRow[]; functions: { count: number; vars: number }; configObject: number; unattributed: number } | { skipped: string };
  latency: RealLatencyRow[];
  /** Why latency rows are missing or run against another server. */
  notes: string[];
}

/** How the interpreter runs here, from its wrapper: natively or under qemu user-mode emulation. */
export function describeInterpreter(bin: string): string {
  let how = "natively";
  try {
    const head = readFileSync(bin, "latin1").slice(0, 400);
    const q = /(qemu-[\w-]+)/.exec(head);
    if (head.startsWith("#!") && q) how = `under ${q[1].replace(/-static$/, "")} (this kernel runs no 32-bit programs)`;
  } catch {
    /* unreadable: say nothing */
  }
  return how;
}

/** "2v29 ESP32SIM_LINUX" as the interpreter reports it, or "?". */
export function interpreterVersion(bin: string): string {
  try {
    return execFileSync("sh", ["-c", `cd "$(mktemp -d)" && printf 'print("@v "+process.env.VERSION+" "+process.env.BOARD)\\n' > v.js && timeout 30 "$0" v.js < /dev/null`, bin], { encoding: "latin1" })
      .split("\n")
      .find((l) => l.startsWith("@v "))!
      .slice(3)
      .trim();
  } catch {
    return "?";
  }
}

/** Which build times the latency rows: the native timing build when there is one, else $ESPRUINO. */
export function timingBuild(memoryBin: string, memoryInterpreter: string, native: string | null, nativeInterpreterText: string): { bin: string; build: TimingBuild } {
  const emulated = /qemu/.test(memoryInterpreter);
  if (native)
    return {
      bin: native,
      build: {
        interpreter: nativeInterpreterText,
        label: "native 64-bit build (timing)",
        native: true,
        why:
          `the same Espruino source, pool of 16383 variables and libraries built as a native 64-bit program (\`build-interpreter.sh --native\`), its stand-in flash file read through a memory map as an ESP32 reads Storage (the PC build reopens the file for every 16 bytes of code run from Storage), because ` +
          (emulated
            ? "the ESP32-format build runs here under qemu user-mode emulation, which inflates every time several-fold (the TLS handshake most of all)"
            : "a native program's times are a PC core's") +
          "; its variables are not the ESP32's (64-bit pointers, 18-byte blocks), so the memory rows stay on the ESP32-format build",
      },
    };
  return {
    bin: memoryBin,
    build: {
      interpreter: memoryInterpreter,
      label: emulated ? "ESP32-format build under qemu (no native build)" : "ESP32-format build",
      native: false,
      why: emulated
        ? "no native timing build was found (ESPRUINO_NATIVE, or espruino-native beside ESPRUINO; `bash tools/espruino/build-interpreter.sh --native /path/to/Espruino`), so the times are those of the ESP32-format build under qemu user-mode emulation, many times slower than native: compare ratios within this run, not absolute times"
        : "the ESP32-format build runs natively here",
    },
  };
}

/** Console code: every socket the firmware opens notes getTime() in __rl.t250 when its data holds a 250 reply.
 * (f.call(this, d), not f.apply(this, arguments): on 2v29 `arguments` in a nested function here was an outer one's.) */
const RX_PROBE = `(function(){["tls","net"].forEach(function(n){var m=require(n);if(m.__rlRx)return;m.__rlRx=1;var c=m.connect;m.connect=function(){var s=c.apply(m,arguments);var on=s.on;s.on=function(ev,fn){if(ev==="data"){var f=fn;fn=function(d){if(/(^|\\n)250 /.test(d))__rl.t250=getTime();return f.call(this,d)}}return on.apply(s,[ev,fn])};return s}})})()`;

/** Trigger on the console, timed inside the interpreter: trigger → the data event holding the final 250. */
async function realTrial(b: RealBoard, proxy: FlightProxy, trigger: string, sent: RegExp): Promise<Trial> {
  let inside = NaN;
  const t = await trial(proxy, async () => {
    const from = b.lines.length;
    await b.eval(`(__rl.t250=0,__rl.t0=getTime(),${trigger},1)`);
    const { line, at } = await b.waitForLine(sent, 120000, from);
    if (/alertmail: failed/.test(line)) throw new Error(line);
    const r = await b.eval<{ t0: number; t250: number }>("({t0:__rl.t0,t250:__rl.t250})");
    if (!r.t250) throw new Error("the probe saw no 250");
    inside = (r.t250 - r.t0) * 1000;
    return at;
  });
  return { ...t, ms: inside };
}

/** The server's second flight on the connection opened in the trial, from its opening (TLS handshake done). */
function handshakeOf(proxy: FlightProxy, since: number): number | undefined {
  const c = proxy.connections().find((x) => x.openedAt >= since);
  const s2 = c?.flights.filter((f) => f.from === "server")[1];
  return c && s2 ? s2.at - c.openedAt : undefined;
}

const empty = (skipped?: string): Side => ({ trials: [], errors: [], skipped });

function errText(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0]!.slice(0, 160);
}

/** Which cells to measure (all by default): for timing one cell while developing. */
export interface CellFilter {
  kinds?: ("cold" | "warm")[];
  delays?: number[];
  /** Substrings of the trigger: "test", "fire". */
  triggers?: string[];
}

async function latency(
  target: SmtpTarget & { name: string; offers: string },
  n: number,
  progress: (s: string) => void,
  bin: string,
  label: string,
  only: CellFilter = {},
): Promise<RealLatencyRow[]> {
  const rows: RealLatencyRow[] = [];
  const proxy = await startFlightProxy({ targetPort: target.port });
  const via = { ...target, port: proxy.port };
  const all = [
    { trigger: "alertmail.test()", sent: /alertmail: (sent|failed) "Garage: test mail"/ },
    { trigger: 'alertmail.fire("door")', sent: /alertmail: (sent|failed) "Garage: door/ },
  ];
  const triggers = all.filter((t) => !only.triggers || only.triggers.some((x) => t.trigger.includes(x)));
  let k = 0;
  try {
    for (const kind of only.kinds ?? (["cold", "warm"] as const)) {
      // Shipped defaults (board.json's rules, outbox and timing); warm keeps the connection 60 s.
      const board = await startRealBoard({
        board: boardFor({ port: proxy.port, security: "tls", user: target.user, password: target.password }, kind === "warm" ? { smtp: { keepAliveSeconds: 60 } } : {}),
        // In .boot0, so the probe also sees the connection the boot alert opens (kept open when warm).
        boot0: RX_PROBE,
        bin,
      });
      const nm = kind === "cold" ? coldNodemailer(via) : pooledNodemailer(via);
      try {
        await board.idle(1);
        // Warm-up (not measured): the first alert opens the connection the warm rows reuse.
        proxy.delayMs = 0;
        await withTimeout(realTrial(board, proxy, "alertmail.test()", all[0]!.sent), 120000, "alertmail warm-up").catch(() => {});
        await withTimeout(nm.send({ subject: `real warm-up ${++k}`, text: alertText(k) }), 60000, "nodemailer warm-up").catch(() => {});
        if (kind === "cold") await quiesce(proxy, 10000);
        for (const delayMs of only.delays ?? REAL_DELAYS) {
          proxy.delayMs = delayMs;
          for (const tr of triggers) {
            const row: RealLatencyRow = { kind, trigger: tr.trigger, server: target.name, offers: target.offers, delayMs, alertmail: empty(), nodemailer: empty(), handshakeMs: [], build: label };
            for (let i = 0; i < n; i++) {
              const order = i % 2 === 0 ? (["am", "nm"] as const) : (["nm", "am"] as const);
              for (const who of order) {
                const side = who === "am" ? row.alertmail : row.nodemailer;
                const t0 = performance.now();
                try {
                  if (who === "am") side.trials.push(await withTimeout(realTrial(board, proxy, tr.trigger, tr.sent), 120000, "alertmail"));
                  else side.trials.push(await trial(proxy, () => withTimeout(nm.send({ subject: `real ${kind} nm ${++k}`, text: alertText(k) }), 60000, "nodemailer")));
                  if (who === "am" && kind === "cold") {
                    const h = handshakeOf(proxy, t0);
                    if (h !== undefined) row.handshakeMs!.push(h);
                  }
                } catch (e) {
                  side.errors.push(errText(e));
                }
                if (kind === "cold" && !(await quiesce(proxy, 10000))) side.lingering = (side.lingering ?? 0) + 1;
              }
            }
            const med = (s: Side) => (s.trials.length ? `${s.trials.map((t) => t.ms).sort((a, b) => a - b)[s.trials.length >> 1]!.toFixed(0)} ms` : `failed (${s.errors[0]})`);
            progress(`  real ${kind} ${tr.trigger} → ${target.name} +${delayMs} ms: alertmail ${med(row.alertmail)}, nodemailer ${med(row.nodemailer)}`);
            rows.push(row);
          }
        }
      } finally {
        nm.close();
        await board.stop();
      }
    }
  } finally {
    await proxy.close();
  }
  return rows;
}

/** Everything the bench measures on the real interpreter, or why it did not run. `parts`: only some of
 * it (while developing: `npx tsx bench/real-side.ts latency --kind warm --delay 0`). */
export async function realSide(
  progress: (s: string) => void,
  n: number,
  parts: { memory?: boolean; latency?: boolean; only?: CellFilter } = {},
): Promise<RealResults | { skipped: string }> {
  const found = realInterpreter();
  if ("skipped" in found) return { skipped: found.skipped };
  const interpreter = `Espruino ${interpreterVersion(found.bin)}, run ${describeInterpreter(found.bin)}`;
  const native = nativeInterpreter();
  const nativeText = native ? `Espruino ${interpreterVersion(native)}, run ${describeInterpreter(native)}` : "";
  const timing = timingBuild(found.bin, interpreter, native && !/\?/.test(nativeText) ? native : null, nativeText);
  const out: RealResults = {
    interpreter,
    timing: timing.build,
    memory: { skipped: "not run" },
    breakdown: { skipped: "not run" },
    latency: [],
    notes: [],
  };
  if (native && !timing.build.native) out.notes.push(`the native build ${native} did not answer (no version): the latency rows use the ESP32-format build.`);
  if (parts.memory !== false) await memoryPart();
  if (parts.latency !== false) await latencyPart();
  return out;

  async function memoryPart() {
    progress(`real interpreter (${out.interpreter}): memory, plain relay and TLS`);
    try {
      out.memory = await memoryReport();
    } catch (e) {
      out.memory = { skipped: `failed: ${errText(e)}` };
    }
    progress("real interpreter: where the variables go (E.getSizeOf)");
    const sink = await startSmtpSink({ tls: false });
    try {
      const b = await startRealBoard({ board: boardFor({ port: sink.port, security: "plain" }) });
      try {
        await b.idle(1);
        out.breakdown = await variableBreakdown(b);
      } finally {
        await b.stop();
      }
    } catch (e) {
      out.breakdown = { skipped: `failed: ${errText(e)}` };
    } finally {
      await sink.close();
    }
  }

  async function latencyPart() {
    const why = postfixUnavailable();
    let pf = null;
    if (!why) pf = await startPostfix().catch(() => null);
    try {
      if (pf) {
        await run({ name: "Postfix", offers: "PIPELINING, CHUNKING", port: pf.tlsPort, user: pf.user, password: pf.password });
      } else {
        out.notes.push(`Postfix not available (${why ?? "it did not start"}): the latency rows use the embedded smtp-server sink (PIPELINING, no CHUNKING).`);
        const tls = await startSmtpSink({ tls: true, users: [{ user: USER, password: PASSWORD }] });
        try {
          await run({ name: "smtp-server sink", offers: "PIPELINING", port: tls.port, user: USER, password: PASSWORD });
        } finally {
          await tls.close();
        }
      }
    } finally {
      await pf?.stop();
    }
  }

  async function run(t: SmtpTarget & { name: string; offers: string }) {
    progress(`real interpreter: latency → ${t.name} (${t.offers}), ${n} trials per cell, on ${timing.build.interpreter} (${timing.build.label})`);
    try {
      out.latency = await latency(t, n, progress, timing.bin, timing.build.label, parts.only);
    } catch (e) {
      out.notes.push(`latency rows failed: ${errText(e)}`);
    }
  }
}

/** `npx tsx bench/real-side.ts [memory|latency] [--kind cold|warm] [--delay ms] [--trigger test|fire] [--n N]`:
 * one part or cell of the real-interpreter bench, printed as JSON (RESULTS.md is not touched). */
async function main(argv: string[]): Promise<number> {
  const arg = (name: string) => argv.flatMap((a, i) => (a === name && argv[i + 1] ? [argv[i + 1]!] : []));
  const what = argv[0] === "memory" || argv[0] === "latency" ? argv[0] : "all";
  const kinds = arg("--kind") as ("cold" | "warm")[];
  const delays = arg("--delay").map(Number);
  const triggers = arg("--trigger");
  const r = await realSide((s) => console.error(s), Number(arg("--n")[0] ?? 3), {
    memory: what !== "latency",
    latency: what !== "memory",
    only: { kinds: kinds.length ? kinds : undefined, delays: delays.length ? delays : undefined, triggers: triggers.length ? triggers : undefined },
  });
  console.log(JSON.stringify(r, null, 1));
  return "skipped" in r ? 2 : 0;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) main(process.argv.slice(2)).then((c) => process.exit(c));
