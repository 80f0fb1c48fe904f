// `npm run flash -- --port /dev/ttyUSB0|tcp://IP [--config-only] [--out FILE]`: put alertmail on a board.
import { toolOptions } from "./tool-options.ts";
import { FlashError } from "./flash/errors.ts";
import { flashBoard } from "./flash/flash-board.ts";

const USAGE = `usage: npm run flash -- --port PORT [options]
  --port PORT        serial device (/dev/ttyUSB0, /dev/cu.usbserial-…, COM3) or tcp://IP[:port] (telnet console, port 23)
  --config-only      write only the configuration (alertmail.json), keep the code
  --out FILE         write the exact bytes that would be sent into FILE; no board needed. The file holds the
                     configuration WITH ITS PASSWORDS (WiFi, SMTP), base64-encoded, not encrypted: keep it private
  --board FILE       board.json to use (default board.json)
  --local FILE       overlay (default board.local.json)
  --chunk N          bytes per Storage.write line (default 384)
  --no-build         flash firmware/app.js as it is (default: build it first)
  --app FILE         flash this bundle instead of firmware/app.js (not built)
  --allow-sim        also flash a PC build of Espruino (board ESP32SIM_LINUX, tools/espruino/) for a test run
  --help, -h         this text
See docs/flashing.md.`;

async function main(argv: string[]): Promise<number> {
  const args = toolOptions(
    argv,
    {
      options: {
      port: { type: "string", short: "p" },
      out: { type: "string", short: "o" },
      "config-only": { type: "boolean" },
      board: { type: "string" },
      local: { type: "string" },
      chunk: { type: "string" },
      "no-build": { type: "boolean" },
      app: { type: "string" },
      "allow-sim": { type: "boolean" },
      help: { type: "boolean", short: "h" },
      },
    },
    USAGE,
    (v) => (v.port || v.out ? "" : "flash: give --port (or --out FILE)"),
  );
  if (typeof args == "number") return args;
  const tty = process.stderr.isTTY;
  /** A "\r" progress line is on screen (TTY) and needs a newline before the next message. */
  let open = false;
  let printedStep = -1;
  const endLine = () => {
    if (open) process.stderr.write("\n");
    open = false;
  };
  try {
    const r = await flashBoard({
      port: args.port,
      out: args.out,
      configOnly: args["config-only"],
      boardFile: args.board,
      localFile: args.local,
      chunkBytes: args.chunk ? Number(args.chunk) : undefined,
      noBuild: args["no-build"],
      appFile: args.app,
      allowSim: args["allow-sim"],
      log: (line) => {
        endLine();
        console.error(`flash: ${line}`);
      },
      progress: (written, total) => {
        const pct = Math.floor((written * 100) / total);
        const text = `flash: writing ${written}/${total} bytes (${pct}%)`;
        if (tty) {
          process.stderr.write(`\r${text}`);
          open = true;
        } else if (Math.floor(pct / 25) > printedStep) {
          // Logs and CI: a line at 0-24%, 25%, 50%, 75% and 100%.
          printedStep = Math.floor(pct / 25);
          console.error(text);
        }
      },
    });
    endLine();
    const sizes = r.files.map((f) => `${f.name} ${f.bytes} B`).join(", ");
    if (args.out) {
      console.log(`flash: wrote ${r.wireBytes} bytes (${sizes}) to ${args.out}; nothing was sent`);
      console.log(
        `flash: ${args.out} holds the configuration WITH ITS PASSWORDS (WiFi and SMTP, base64-encoded, not encrypted): ` +
          `anyone who reads it can log in to your mailbox; keep it private and delete it when done`,
      );
    }
    else console.log(`flash: done (${sizes}); the board says: ${r.bootLine}`);
    return 0;
  } catch (e) {
    endLine();
    if (e instanceof FlashError) console.error(`flash: ${e.message}`);
    else console.error(`flash: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
