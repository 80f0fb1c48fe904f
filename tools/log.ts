// `npm run log -- --port /dev/ttyUSB0|tcp://IP[:port]`: shows the board's console on the PC, decoded as UTF-8.
// Uses the flash tool's link (tools/flash/link.ts), sends nothing to the board, and reconnects after a reboot.
import { toolOptions } from "./tool-options.ts";
import { FlashError } from "./flash/errors.ts";
import { openLink, type Link } from "./flash/link.ts";

const USAGE = `usage: npm run log -- --port PORT [options]
  --port PORT        serial device (/dev/ttyUSB0, /dev/cu.usbserial-…, COM3) or tcp://IP[:port] (telnet console, port 23)
  --time             start each line with the PC's time (HH:MM:SS)
  --once             stop when the connection closes (default: reconnect every 2 s, e.g. across a reboot)
  --help, -h         this text
Shows what the board prints, decoded as UTF-8 (a byte split across two reads is kept whole); sends nothing.
Ctrl-C stops. Over tcp:// the board's console follows this connection while it is open. See docs/flashing.md.`;

export interface LogOptions {
  port: string;
  /** Where decoded text goes (default process.stdout). */
  write?: (text: string) => void;
  /** Status lines ("log: connected to …"). */
  say?: (line: string) => void;
  time?: boolean;
  /** Reconnect when the link closes (default true). */
  reconnect?: boolean;
  /** Aborting stops watching. */
  signal?: AbortSignal;
  /** Opens the link (default tools/flash/link.ts's openLink). */
  open?: (port: string) => Promise<Link>;
}

/** Decodes a byte stream as UTF-8 text, holding back an incomplete character until its next bytes come. */
export function utf8Stream(): { push(chunk: Buffer): string; end(): string } {
  const decoder = new TextDecoder("utf-8");
  return {
    push: (chunk) => decoder.decode(chunk, { stream: true }),
    end: () => decoder.decode(),
  };
}

/** Prefixes each line start with the time, across chunk boundaries. */
function timePrefixer(): (text: string) => string {
  let atLineStart = true;
  return (text) => {
    let out = "";
    for (const part of text.split(/(?<=\n)/)) {
      if (!part) continue;
      if (atLineStart && part !== "\r\n" && part !== "\n") out += `${new Date().toTimeString().slice(0, 8)} `;
      out += part;
      atLineStart = part.endsWith("\n");
    }
    return out;
  };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Watches the console until aborted (or, with reconnect off, until the link closes). Throws FlashError if it never opens. */
export async function watchLog(o: LogOptions): Promise<void> {
  const write = o.write ?? ((t: string) => void process.stdout.write(t));
  const say = o.say ?? ((l: string) => console.error(l));
  const open = o.open ?? openLink;
  const stamp = o.time ? timePrefixer() : (t: string) => t;
  let connectedOnce = false;
  while (!o.signal?.aborted) {
    let link: Link;
    try {
      link = await open(o.port);
    } catch (e) {
      if (!connectedOnce || o.reconnect === false) throw e;
      await sleep(2000, o.signal);
      continue;
    }
    say(`log: ${connectedOnce ? "connected again to" : "connected to"} ${link.name} (Ctrl-C stops)`);
    connectedOnce = true;
    const text = utf8Stream();
    await new Promise<void>((resolve) => {
      link.onData((chunk) => {
        const t = text.push(chunk);
        if (t) write(stamp(t));
      });
      link.onClose(() => resolve());
      o.signal?.addEventListener("abort", () => void link.close().then(resolve));
    });
    const rest = text.end();
    if (rest) write(stamp(rest));
    if (o.signal?.aborted) break;
    say(`log: ${link.name} closed the connection${o.reconnect === false ? "" : "; reconnecting every 2 s"}`);
    if (o.reconnect === false) break;
    await sleep(2000, o.signal);
  }
}

async function main(argv: string[]): Promise<number> {
  const args = toolOptions(
    argv,
    {
      options: {
      port: { type: "string", short: "p" },
      time: { type: "boolean" },
      once: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      },
    },
    USAGE,
    (v) => (v.port ? "" : "log: give --port"),
  );
  if (typeof args == "number") return args;
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  try {
    await watchLog({ port: args.port!, time: args.time, reconnect: !args.once, signal: stop.signal });
    return 0;
  } catch (e) {
    console.error(`log: ${e instanceof FlashError ? e.message : ((e as Error).stack ?? e)}`);
    return 1;
  }
}

if (process.argv[1] && /tools[\\/]log\.ts$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
