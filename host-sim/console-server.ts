// An Espruino-like console over TCP (the ESP32's telnet console): lines typed into it run in the firmware's context.
//
// What it reproduces of Espruino's REPL (src/jsinteractive.c): characters are echoed, Enter runs the line
// once its brackets balance (else the line continues after a `:`), the result prints as `=value` followed
// by a `>` prompt (strings with bytes outside printable ASCII as \xHH, like "\xAC"); a line that starts
// with \x10 (DLE) runs with no echo, no `=value` and no prompt; Ctrl-C (\x03) drops the half-typed
// line and erases it from the terminal (cursor back, ESC[J, a fresh prompt); `echo(0)` turns echo,
// results and prompts off for every line until `echo(1)` (errors and what code prints still show). Everything the firmware prints reaches every connected client.
// `load()` restarts the interpreter from Storage (.bootcde) with clients staying connected, as on the
// board; `E.reboot()` restarts the chip, which drops telnet clients; `reset()` / `reset(true)` call
// board.reset(clearFlash) when the simulator has one.
import { createServer, type Socket } from "node:net";

/** The part of host-sim/board.ts's SimBoard the console uses. */
export interface ConsoleBoard {
  eval(code: string): unknown;
  reboot(reason?: string): unknown;
  /** Console lines, UTF-8 decoded (SimBoard), polled when there is no onOutput. */
  output: string[];
  /** Subscribes to console lines; returns the unsubscribe function. */
  onOutput?(fn: (line: string) => void): () => void;
  reset?(clearFlash?: boolean): unknown;
  /** load(): restarts the interpreter from Storage (SimBoard); reboot() stands in when missing. */
  load?(): unknown;
}

export interface ConsoleServerOptions {
  /** Called before load(), E.reboot() or reset() typed at the console restarts the board (npm start points a
   * flashed configuration at its embedded server here, host-sim/flashed-config.ts). */
  beforeRestart?(): void;
}

export interface ConsoleServer {
  port: number;
  close(): Promise<void>;
}

interface Client {
  sock: Socket;
  line: string;
  echoOff: boolean;
  lastWasCR: boolean;
}

/** Are all brackets closed outside strings, template literals and comments? (Espruino's jsiAtEndOfInputLine.) */
export function isCompleteInput(code: string): boolean {
  let depth = 0;
  let quote = "";
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
      continue;
    }
    if (c === "/" && code[i + 1] === "/") {
      const nl = code.indexOf("\n", i);
      if (nl < 0) break;
      i = nl;
    } else if (c === "/" && code[i + 1] === "*") {
      const end = code.indexOf("*/", i + 2);
      if (end < 0) return false;
      i = end + 1;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
  }
  return depth <= 0 && !quote;
}

/** A string as Espruino's console shows it (escapeCharacter in jsutils.c): bytes outside printable ASCII as \xHH. */
function quoteBytes(s: string): string {
  const named: Record<string, string> = { "\n": "\\n", "\t": "\\t", "\b": "\\b", "\f": "\\f", "\r": "\\r", "\\": "\\\\", '"': '\\"' };
  return `"${s.replace(/[\x00-\x1f"\\\x7f-\xff]/g, (c) => named[c] ?? `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`)}"`;
}

/** Espruino prints results like JSON, with undefined and functions spelled out. */
function formatResult(v: unknown): string {
  if (v === undefined) return "undefined";
  if (typeof v === "function") return "function () { [native code] }";
  if (typeof v === "string") return quoteBytes(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Cursor moves from the end of `line` back to its start (jsiMoveCursorChar): left by the column, up by the rows. */
function cursorToStart(line: string): string {
  const rows = line.split("\n");
  return "\x1b[D".repeat(rows[rows.length - 1]!.length) + "\x1b[A".repeat(rows.length - 1);
}

/** An uncaught error's first line as the board prints it: the type (realm errors lost `name`, as on the
 * board: the constructor still knows it) and, for an unknown or not yet declared name, the board's words. */
function describe(e: unknown): string {
  if (!e || typeof e !== "object" || typeof (e as { message?: unknown }).message !== "string") return String(e);
  const type = (e as { type?: unknown }).type ?? (e as { name?: unknown }).name ?? (Object.getPrototypeOf(e) as { constructor?: { name?: string } } | null)?.constructor?.name ?? "Error";
  const message = (e as { message: string }).message.replace(/^Cannot access '(.+)' before initialization$|^(\S+) is not defined$/, (_m, a, b) => `"${a ?? b}" is not defined`);
  return `${type}: ${message}`;
}

const LOAD = /^load\(\s*\)$/;
const CHIP_REBOOT = /^E\.reboot\(\s*\)$/;
const RESET = /^reset\(\s*(true|false)?\s*\)$/;
/** echo(on): the console's echo, results and prompts, for every following line (jsiStatus JSIS_ECHO_OFF). */
const ECHO = /^echo\(([^()]*)\)$/;

export function startConsoleServer(board: ConsoleBoard, port = 0, opts: ConsoleServerOptions = {}): Promise<ConsoleServer> {
  const clients = new Set<Client>();
  /** echo(0) turns it off: one flag for the board's console, not per connection. */
  let echoOn = true;
  const visible = (c: Client) => echoOn && !c.echoOff;
  let shown = board.output;
  let shownCount = board.output.length;

  /** Console text to every client; the board's lines are UTF-8 text, sent as the bytes the board prints. */
  const send = (text: string) => {
    const bytes = Buffer.from(text, "utf8");
    for (const c of clients) if (!c.sock.destroyed) c.sock.write(bytes);
  };
  /** Forwards lines the firmware printed since the last look (the array may be replaced on reboot). */
  const flush = () => {
    if (unsubscribe) return;
    const out = board.output;
    if (out !== shown) {
      shown = out;
      shownCount = 0;
    }
    if (out.length < shownCount) shownCount = out.length;
    while (shownCount < out.length) send(`${out[shownCount++]}\r\n`);
  };
  const unsubscribe = board.onOutput?.((line) => send(`${line}\r\n`));
  const poll = setInterval(flush, 10);
  poll.unref();

  const runLine = async (client: Client, code: string) => {
    const statement = code.trim().replace(/;$/, "");
    flush();
    const echoCall = ECHO.exec(statement);
    if (echoCall) {
      try {
        echoOn = !!board.eval(echoCall[1]!.trim() || "undefined");
      } catch (e) {
        client.sock.write(Buffer.from(`Uncaught ${describe(e)}\r\n`, "latin1"));
        return;
      }
      // As on the board, the state after the call decides: echo(1) answers, echo(0) says nothing.
      if (visible(client)) client.sock.write("=undefined\r\n>");
      return;
    }
    if (LOAD.test(statement) || CHIP_REBOOT.test(statement)) {
      if (CHIP_REBOOT.test(statement)) {
        // The chip restarts: its telnet server and every connection go away.
        for (const c of clients) c.sock.destroy();
        clients.clear();
      }
      try {
        opts.beforeRestart?.();
        if (LOAD.test(statement) && typeof board.load === "function") await board.load();
        else await board.reboot(statement);
      } catch (e) {
        send(`Uncaught ${describe(e)}\r\n`);
      }
      flush();
      return;
    }
    const reset = RESET.exec(statement);
    if (reset && typeof board.reset === "function") {
      opts.beforeRestart?.();
      await board.reset(reset[1] === "true");
      flush();
      if (visible(client)) client.sock.write("=undefined\r\n>");
      return;
    }
    let text: string;
    try {
      const v = board.eval(code);
      text = `=${formatResult(v)}\r\n`;
    } catch (e) {
      text = `Uncaught ${describe(e)}\r\n`;
      flush();
      client.sock.write(Buffer.from(text, "latin1"));
      if (visible(client)) client.sock.write(">");
      return;
    }
    flush();
    if (visible(client)) client.sock.write(Buffer.from(`${text}>`, "latin1"));
  };

  const feed = async (client: Client, data: string) => {
    for (const ch of data) {
      if (ch === "\x03") {
        // jsiClearInputLine(true): the terminal's copy of the line goes too, then the prompt comes back.
        if (client.line !== "" && visible(client)) client.sock.write(`${cursorToStart(client.line)}\r\x1b[J>`);
        client.line = "";
        client.echoOff = false;
        continue;
      }
      if (ch === "\x10" && client.line === "") {
        client.echoOff = true;
        continue;
      }
      if (ch === "\n" && client.lastWasCR) {
        client.lastWasCR = false;
        continue;
      }
      client.lastWasCR = ch === "\r";
      if (ch === "\r" || ch === "\n") {
        if (visible(client)) client.sock.write("\r\n");
        if (client.line.trim() === "") {
          client.line = "";
          client.echoOff = false;
          if (!client.sock.destroyed && echoOn) client.sock.write(">");
          continue;
        }
        if (!isCompleteInput(client.line)) {
          client.line += "\n";
          if (visible(client)) client.sock.write(":");
          continue;
        }
        const code = client.line;
        client.line = "";
        await runLine(client, code);
        client.echoOff = false;
        continue;
      }
      client.line += ch;
      if (visible(client)) client.sock.write(Buffer.from(ch, "latin1"));
    }
  };

  const server = createServer((sock) => {
    const client: Client = { sock, line: "", echoOff: false, lastWasCR: false };
    clients.add(client);
    // One chunk at a time, in order, even when a line's evaluation waits for a reboot.
    let queue = Promise.resolve();
    sock.on("data", (chunk) => {
      queue = queue.then(() => feed(client, chunk.toString("latin1"))).catch(() => {
        sock.destroy();
      });
    });
    sock.on("error", () => {});
    sock.on("close", () => clients.delete(client));
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const addr = server.address();
      resolve({
        port: typeof addr === "object" && addr ? addr.port : port,
        close: () =>
          new Promise<void>((res) => {
            clearInterval(poll);
            unsubscribe?.();
            for (const c of clients) c.sock.destroy();
            clients.clear();
            server.close(() => res());
          }),
      });
    });
  });
}

/** A flash step's reply line (tools/flash/protocol.ts): `@am <seq> ok <json>`. */
const FLASH_OK = /^@am (\d+) ok\b/;

/**
 * Wraps a console-line logger so a flash stays readable: the `@am N ok` reply of every step is counted,
 * not shown, and one line sums them up when the next other line comes (or after a second of quiet);
 * `@am N err` replies and everything else pass through.
 */
export function condenseFlashReplies(log: (line: string) => void): (line: string) => void {
  let first = 0;
  let last = 0;
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  const sum = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!count) return;
    log(`sim: console: ${count} flash step(s) answered ok (@am ${first} … @am ${last}; each reply line hidden)`);
    count = 0;
  };
  return (line: string) => {
    const m = FLASH_OK.exec(line);
    if (!m) {
      sum();
      log(line);
      return;
    }
    if (!count) first = Number(m[1]);
    last = Number(m[1]);
    count++;
    if (timer) clearTimeout(timer);
    timer = setTimeout(sum, 1000);
    timer.unref();
  };
}
