// Drives Espruino's own interpreter (a PC build, $ESPRUINO) as a board: flashed by `npm run flash`
// over its telnet console, WiFi/analog/pin stand-ins in .boot0, memory sampled from inside.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";

const ROOT = join(import.meta.dirname, "..", "..");
/** The interpreter's telnet console: a fixed port, so one instance per machine at a time. */
export const TELNET_PORT = 2323;
/** Every user of the fixed port takes this lock first (the shell does the same with `flock`). */
export const TELNET_LOCK = "/tmp/espruino-telnet.lock";

/** The interpreter named by ESPRUINO, or null with the reason the lane does not run. */
export function realInterpreter(env: NodeJS.ProcessEnv = process.env): { bin: string } | { skipped: string } {
  const bin = env.ESPRUINO;
  const how = "build it with `bash tools/espruino/build-interpreter.sh /path/to/Espruino`, then `ESPRUINO=/path/to/espruino npm test`";
  if (!bin) return { skipped: `real-interpreter lane skipped: ESPRUINO is not set (${how})` };
  if (!existsSync(bin)) return { skipped: `real-interpreter lane skipped: ESPRUINO=${bin} does not exist (${how})` };
  return { bin };
}

/**
 * The native timing build (`build-interpreter.sh --native`: the same source, pool and libraries as a
 * 64-bit program), or null: ESPRUINO_NATIVE when set (an empty value: none), else espruino-native
 * beside $ESPRUINO. Its times are a PC core's; its variables are not the ESP32's (18-byte blocks).
 */
export function nativeInterpreter(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.ESPRUINO_NATIVE !== undefined) return env.ESPRUINO_NATIVE && existsSync(env.ESPRUINO_NATIVE) ? env.ESPRUINO_NATIVE : null;
  if (!env.ESPRUINO) return null;
  const beside = join(dirname(env.ESPRUINO), "espruino-native");
  return existsSync(beside) ? beside : null;
}

/**
 * Stand-ins the PC build lacks, run by the interpreter before .bootcde at every start (as .boot0 on a
 * board): a Wifi module that joins at once, analogRead from `__rl.analog`, setWatch/digitalRead that
 * the harness drives through `__rl.pin(name, level)` (pins do nothing on a PC), and a memory sampler
 * (process.memory(false), no garbage collection) every 5 ms recording the highest usage in `__rl.max`.
 * `__rl.m0`/`__rl.m1`: usage before and after the stand-ins, so their own cost can be taken out.
 */
export const BOOT0 = `global.__rl={m0:process.memory().usage,max:0,n:0,analog:{},level:{},w:[],iv:0};
(function(r){
Modules.addCached("Wifi",function(){var h={};
exports.connect=function(s,o,cb){setTimeout(function(){if(cb)cb(null);(h.connected||[]).forEach(function(f){f({ip:"127.0.0.1"})})},1)};
exports.on=function(e,f){(h[e]=h[e]||[]).push(f)};
exports.getIP=function(cb){var i={ip:"127.0.0.1",mac:"24:0a:c4:00:00:01"};if(cb)cb(null,i);return i};
exports.setSNTP=function(){};exports.disconnect=function(){};exports.getDetails=function(cb){var d={status:"connected",ssid:"rl"};if(cb)cb(d);return d}});
global.analogRead=function(p){return r.analog[p]||0};
var dr=digitalRead;global.digitalRead=function(p){var l=r.level[p];return l===undefined?dr(p):l};
global.setWatch=function(f,p,o){r.w.push({f:f,p:p,o:o});return r.w.length};
r.pin=function(p,l){l=l?1:0;if(r.level[p]===l)return 0;r.level[p]=l;var n=0;r.w.forEach(function(w){var e=w.o&&w.o.edge;if(w.p==p&&(e=="both"||(e=="rising")==!!l)){n++;w.f({state:!!l,time:getTime(),lastTime:getTime()})}});return n};
r.sample=function(on){if(r.iv)clearInterval(r.iv);r.iv=0;r.max=0;r.n=0;if(on)r.iv=setInterval(function(){var u=process.memory(false).usage;r.n++;if(u>r.max)r.max=u},5)};
})(__rl);
__rl.m1=process.memory().usage;
`;

export interface RealBoardOptions {
  /** board.json contents (validated and defaulted by the project's own loader when flashing). */
  board: object;
  /** Bundle to flash (default $REAL_LANE_APP or firmware/app.js, built by the test setup or `npm run build`). */
  appFile?: string;
  /** Every console line, as it arrives. */
  log?: (line: string) => void;
  /** More console code for .boot0, run after the stand-ins (e.g. a socket probe that must see every connection). */
  boot0?: string;
  /** Wait this long for the telnet lock (default 15 min: another helper's run may hold it). */
  lockTimeoutS?: number;
  /** The interpreter to run (default $ESPRUINO), e.g. nativeInterpreter() for timing. */
  bin?: string;
}

export interface RealBoard {
  /** The interpreter's temp folder (its Storage: espruino.flash). */
  dir: string;
  /** Every console line so far, from the telnet console and from the process's own output. */
  lines: string[];
  /** Runs `expr` on the console and resolves with its value (JSON round trip); rejects with what it threw. */
  eval<T = unknown>(expr: string, timeoutMs?: number): Promise<T>;
  /** First line matching re at index ≥ from; resolves with [line, index, performance.now() when it arrived]. */
  waitForLine(re: RegExp, timeoutMs: number, from?: number): Promise<{ line: string; index: number; at: number }>;
  /** `npm run flash -- --allow-sim` with this board.json (and bundle); resolves with its output. */
  flash(board?: object, opts?: { configOnly?: boolean }): Promise<string>;
  /** Espruino's load(): a restart of the JS that runs .boot0 then .bootcde; resolves at its boot line
   * ("alertmail: ready", or what `expect` matches). */
  load(expect?: RegExp): Promise<void>;
  /** process.memory().usage (after a garbage collection). */
  usage(): Promise<number>;
  /** Resolves once the outbox is empty, nothing is being sent and at least `sent` mails went out since boot. */
  idle(sent?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

function tryConnect(): Promise<Socket | null> {
  return new Promise((resolve) => {
    const s = connect(TELNET_PORT, "127.0.0.1");
    s.once("connect", () => resolve(s));
    s.once("error", () => resolve(null));
  });
}

let seq = 0;

/** The bundle the lane flashes: the given one, else $REAL_LANE_APP (another build to compare), else firmware/app.js. */
export function realApp(appFile?: string): string {
  return appFile ?? process.env.REAL_LANE_APP ?? join(ROOT, "firmware", "app.js");
}

/** Starts the interpreter with --telnet in a fresh folder (holding the telnet lock), installs .boot0, flashes. */
export async function startRealBoard(o: RealBoardOptions): Promise<RealBoard> {
  const found = o.bin ? { bin: o.bin } : realInterpreter();
  if ("skipped" in found) throw new Error(found.skipped);
  mkdirSync(join(ROOT, "test", ".tmp"), { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), "alertmail-real-"));
  const lines: string[] = [];
  const arrived: number[] = [];
  const waiters = new Set<() => void>();
  const push = (raw: string) => {
    // Espruino redraws its prompt with ANSI escapes (ESC [ J) around printed lines.
    const l = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
    lines.push(l);
    arrived.push(performance.now());
    o.log?.(l);
    for (const w of [...waiters]) w();
  };
  let locked = false;
  let exited = false;
  let boardFile = join(dir, "board.json");
  writeFileSync(boardFile, JSON.stringify(o.board, null, 1));

  // flock holds the lock as long as its child (the interpreter) lives; "@rl locked" says we have it.
  const child: ChildProcess = spawn(
    "flock",
    ["-w", String(o.lockTimeoutS ?? 900), TELNET_LOCK, "sh", "-c", 'echo "@rl locked"; exec "$0" --telnet', found.bin],
    { cwd: dir, detached: true, stdio: ["pipe", "pipe", "pipe"] },
  );
  // stdin stays open and empty: at end of input the interpreter's console would read garbage.
  let outPartial = "";
  const onOut = (chunk: Buffer) => {
    outPartial += chunk.toString("latin1");
    const parts = outPartial.split("\n");
    outPartial = parts.pop()!;
    for (const p of parts) {
      const l = p.replace(/\r$/, "").replace(/^>+/, "");
      if (l === "@rl locked") locked = true;
      else push(l);
    }
  };
  child.stdout!.on("data", onOut);
  child.stderr!.on("data", onOut);
  child.on("exit", () => {
    exited = true;
    for (const w of [...waiters]) w();
  });
  const kill = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };

  function waitForLine(re: RegExp, timeoutMs: number, from = 0): Promise<{ line: string; index: number; at: number }> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < lines.length; i++)
          if (re.test(lines[i]!)) {
            done();
            return resolve({ line: lines[i]!, index: i, at: arrived[i]! });
          }
        if (exited) {
          done();
          reject(new Error(`the interpreter exited while waiting for ${re}; last lines:\n${lines.slice(-10).join("\n")}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no console line matching ${re} within ${timeoutMs} ms; last lines:\n${lines.slice(-10).join("\n")}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  }

  // The console client: one telnet connection at a time (the flash tool takes its own in between).
  let sock: Socket | null = null;
  let sockPartial = "";
  async function attach(): Promise<void> {
    const until = performance.now() + 30000;
    while (!sock) {
      if (exited) throw new Error(`the interpreter exited: ${lines.slice(-5).join(" | ")}`);
      sock = await tryConnect();
      if (!sock) {
        if (performance.now() > until) throw new Error(`nothing answered on 127.0.0.1:${TELNET_PORT} within 30 s`);
        await sleep(100);
      }
    }
    const s = sock;
    s.setNoDelay(true);
    s.on("data", (chunk) => {
      // Telnet negotiation (IAC …) is not console text.
      sockPartial += chunk.toString("latin1").replace(/\xff[\xfb-\xfe]./gs, "");
      const parts = sockPartial.split("\n");
      sockPartial = parts.pop()!;
      for (const p of parts) push(p.replace(/\r$/, "").replace(/^>+/, ""));
    });
    s.on("error", () => {});
    s.on("close", () => {
      if (sock === s) sock = null;
    });
    // No Ctrl-C here: on a PC build two of them within 5 s on an empty line end the process, and the
    // flash tool sends one of its own.
  }
  async function detach(): Promise<void> {
    const s = sock;
    if (!s) return;
    sock = null;
    await new Promise<void>((resolve) => {
      s.once("close", () => resolve());
      s.end();
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 1000).unref();
    });
    // The interpreter notices the closed client at its next idle pass.
    await sleep(200);
  }

  async function evalExpr<T>(expr: string, timeoutMs = 20000): Promise<T> {
    if (!sock) await attach();
    const n = ++seq;
    const from = lines.length;
    const line =
      `\x10(function(t){try{t+="ok "+JSON.stringify((function(){return ${expr}})())}` +
      `catch(e){t+="err "+JSON.stringify(""+e)}print(t)})("@"+"rl ${n} ")\n`;
    sock!.write(line);
    const { line: reply } = await waitForLine(new RegExp(`^@rl ${n} (ok|err)`), timeoutMs, from);
    const m = /^@rl \d+ (ok|err) ?(.*)$/.exec(reply)!;
    const value = m[2] === "" || m[2] === "undefined" ? undefined : JSON.parse(m[2]!);
    if (m[1] === "err") throw new Error(`the interpreter threw: ${value}`);
    return value as T;
  }

  async function flash(board?: object, fo: { configOnly?: boolean } = {}): Promise<string> {
    if (board) {
      boardFile = join(dir, `board-${++seq}.json`);
      writeFileSync(boardFile, JSON.stringify(board, null, 1));
    }
    await detach();
    const from = lines.length;
    const args = ["tools/flash.ts", "--port", `tcp://127.0.0.1:${TELNET_PORT}`, "--allow-sim", "--board", boardFile, "--local", join(dir, "none.json")];
    if (fo.configOnly) args.push("--config-only");
    else args.push("--app", realApp(o.appFile));
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(join(ROOT, "node_modules", ".bin", "tsx"), args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      p.stdout.on("data", (d) => (text += d));
      p.stderr.on("data", (d) => (text += d));
      p.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`npm run flash failed (${code}):\n${text}\nconsole:\n${lines.slice(from).join("\n")}`))));
    });
    await attach();
    return out;
  }

  async function load(expect = /alertmail: ready/): Promise<void> {
    if (!sock) await attach();
    const from = lines.length;
    sock!.write("\x10load()\n");
    await waitForLine(/alertmail: (ready|no configuration|bad configuration)/, 60000, from);
    const said = lines.slice(from).find((l) => /alertmail: (ready|no configuration|bad configuration)/.test(l))!;
    if (!expect.test(said)) throw new Error(said);
  }

  try {
    const lockUntil = performance.now() + (o.lockTimeoutS ?? 900) * 1000 + 5000;
    while (!locked) {
      if (exited) throw new Error(`could not take ${TELNET_LOCK}: ${lines.slice(-3).join(" | ")}`);
      if (performance.now() > lockUntil) throw new Error(`${TELNET_LOCK} stayed busy`);
      await sleep(50);
    }
    await attach();
    const b = await evalExpr<string>("process.env.BOARD");
    if (!/^ESP32/.test(b)) throw new Error(`ESPRUINO runs board "${b}", not the ESP32 variable format (tools/espruino/build-interpreter.sh)`);
    await evalExpr(`require("Storage").write(".boot0",${JSON.stringify(BOOT0 + (o.boot0 ? `${o.boot0};\n` : ""))})`);
    await flash();
  } catch (e) {
    kill();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  return {
    dir,
    lines,
    eval: evalExpr,
    waitForLine,
    flash,
    load,
    usage: () => evalExpr<number>("process.memory().usage"),
    async idle(sent = 0, timeoutMs = 120000) {
      const end = performance.now() + timeoutMs;
      for (;;) {
        const o = await evalExpr<{ queued: number; sending: boolean; sent: number }>("alertmail.status().outbox");
        if (o.queued === 0 && !o.sending && o.sent >= sent) return;
        if (performance.now() > end) throw new Error(`the outbox did not empty in ${timeoutMs} ms: ${JSON.stringify(o)}`);
        await sleep(200);
      }
    },
    async stop() {
      sock?.destroy();
      kill();
      await new Promise<void>((r) => (exited ? r() : child.once("exit", () => r())));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
