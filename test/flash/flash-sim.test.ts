// `npm run flash` against the simulator's TCP console: the real CLI and code path, end to end to a delivered mail.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSimBoard, type SimBoard } from "../../host-sim/board.ts";
import { startConsoleServer, type ConsoleServer } from "../../host-sim/console-server.ts";
import { startSmtpSink, type ReceivedMail, type SmtpSink } from "../../host-sim/smtp-sink.ts";
import { APP_JS, ROOT } from "../../tools/build.ts";
import { loadBoardConfig } from "../../tools/config/load.ts";
import { flashBoard } from "../../tools/flash/flash-board.ts";
import { storageFiles } from "../../tools/flash/payload.ts";

const BOARD_JSON = join(ROOT, "board.json");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const FILES = [".bootcde", "alertmail.json"];
/** An overlay path that does not exist, so a developer's own board.local.json never leaks into these tests. */
const NO_LOCAL = join(tmpdir(), "alertmail-flash-no-board.local.json");

/** One snapshot of firmware/app.js for the whole file: other test runs on this machine may rebuild it meanwhile. */
let appSnapshot: { file: string; bytes: Buffer } | undefined;
function app() {
  if (!appSnapshot) {
    const bytes = readFileSync(APP_JS);
    const file = join(mkdtempSync(join(tmpdir(), "alertmail-flash-app-")), "app.js");
    writeFileSync(file, bytes);
    appSnapshot = { file, bytes };
  }
  return appSnapshot;
}

function shippedConfig() {
  const r = loadBoardConfig({ file: BOARD_JSON, localFile: NO_LOCAL });
  if (!r.ok) throw new Error(`board.json does not validate: ${r.errors.join("; ")}`);
  return r.config;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "alertmail-flash-"));
}

/** A simulated ESP32 with an empty Storage, booted, serving its console on 127.0.0.1. */
async function simWithConsole(opts: { env?: Record<string, unknown>; storageBytes?: number } = {}) {
  const board = createSimBoard({ storageDir: tmp(), ...opts });
  board.boot();
  const con = await startConsoleServer(board);
  cleanups.push(() => board.stop(), () => con.close());
  return { board, con, port: `tcp://127.0.0.1:${con.port}` };
}

/** board.local.json that points the shipped board.json at the embedded SMTP server. */
function overlayFor(sink: SmtpSink): string {
  const file = join(tmp(), "board.local.json");
  writeFileSync(file, JSON.stringify({ smtp: { host: "127.0.0.1", port: sink.port, security: "tls" } }));
  return file;
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [join(ROOT, "tools", "flash.ts"), ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function stored(board: SimBoard, name: string): Buffer | undefined {
  return board.storage.readBytes(name);
}

describe("npm run flash, against the simulator's console", () => {
  it("flashes over tcp, the board restarts from its Storage, and alertmail.test() delivers a mail", async () => {
    const shipped = shippedConfig();
    const { user, password } = shipped.smtp;
    const sink = await startSmtpSink({ users: user ? [{ user, password }] : [] });
    cleanups.push(() => sink.close());
    const { board, port } = await simWithConsole();
    const local = overlayFor(sink);

    const r = await runCli(["--port", port, "--board", BOARD_JSON, "--local", local, "--app", app().file]);
    expect(r.stderr + r.stdout).toMatch(/writing \d+\/\d+ bytes \(100%\)/);
    expect(r.stdout).toMatch(/the board says: alertmail: ready/);
    expect(r.code).toBe(0);

    // Exactly the payload's files, byte for byte, and a boot from them.
    const loaded = loadBoardConfig({ file: BOARD_JSON, localFile: local });
    if (!loaded.ok) throw new Error(loaded.errors.join("; "));
    for (const f of storageFiles(app().bytes, loaded.config)) expect(stored(board, f.name)).toEqual(f.data);
    expect(board.boots).toBe(2);

    // The boot rule in board.json may mail too: look for the test mail itself ("<device>: test mail").
    board.eval("alertmail.test()");
    let mail: ReceivedMail | undefined;
    for (let n = 1; !mail && n <= 3; n++) {
      const mails = await sink.waitForMessages(n, 20000);
      mail = mails.find((m) => /: test mail$/.test(m.parsed.subject ?? ""));
    }
    if (!mail) throw new Error("no test mail arrived");
    expect(mail.parsed.subject).toBe(`${shipped.device.name}: test mail`);
    expect(mail.envelope.to).toEqual(expect.arrayContaining(shipped.smtp.to.map((m) => m.address)));
    expect(mail.envelope.from).toBe(shipped.smtp.from.address);
  }, 90000);

  it("replaying the --out file into the console gives the same Storage as flashing", async () => {
    const out = join(tmp(), "upload.txt");
    const cli = await runCli(["--out", out, "--board", BOARD_JSON, "--local", NO_LOCAL, "--app", app().file]);
    expect(cli.code).toBe(0);

    const flashed = await simWithConsole();
    await flashBoard({ port: flashed.port, config: shippedConfig(), appJs: app().bytes });

    const replayed = await simWithConsole();
    const sock = connect(replayed.con.port, "127.0.0.1");
    cleanups.push(() => sock.destroy());
    sock.on("data", () => {});
    sock.write(readFileSync(out));
    // The stream ends in load(): wait for that restart.
    for (let i = 0; i < 2000 && replayed.board.boots < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(replayed.board.boots).toBe(2);

    for (const name of FILES) {
      expect(stored(replayed.board, name)).toBeDefined();
      expect(stored(replayed.board, name)).toEqual(stored(flashed.board, name));
    }
    expect(stored(replayed.board, ".bootcde")).toEqual(app().bytes);
  }, 90000);

  it("--config-only rewrites alertmail.json and keeps the code", async () => {
    const { board, port } = await simWithConsole();
    const code = Buffer.from('console.log("alertmail: ready")');
    board.storage.writeBytes(".bootcde", code);
    const r = await runCli(["--port", port, "--board", BOARD_JSON, "--local", NO_LOCAL, "--config-only"]);
    expect(r.code).toBe(0);
    expect(stored(board, ".bootcde")).toEqual(code);
    expect(JSON.parse(stored(board, "alertmail.json")!.toString("utf8"))).toEqual(shippedConfig());
  });
});

describe("npm run flash refuses", () => {
  it("a firmware whose MODULES lacks tls (ESP32_IDF4), writing nothing", async () => {
    const { board, port } = await simWithConsole({ env: { BOARD: "ESP32_IDF4", MODULES: "Flash,Storage,net,Wifi,ESP32,crypto" } });
    const r = await runCli(["--port", port, "--board", BOARD_JSON, "--local", NO_LOCAL, "--app", app().file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no "tls" module.*official ESP32 firmware.*not ESP32_IDF4/s);
    expect(board.storage.names()).toEqual([]);
  });

  it("a board with no free Storage, writing nothing", async () => {
    const { board, port } = await simWithConsole({ storageBytes: 1024 });
    const r = await runCli(["--port", port, "--board", BOARD_JSON, "--local", NO_LOCAL, "--app", app().file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not enough free Storage.*\d+ more bytes needed, \d+ free/);
    expect(board.storage.names()).toEqual([]);
  });

  it("a port that refuses the connection", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const r = await runCli(["--port", `tcp://127.0.0.1:${port}`, "--board", BOARD_JSON, "--local", NO_LOCAL, "--app", app().file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`127.0.0.1:${port} refused the connection`));
  });

  it("an invalid board.json, before touching the board", async () => {
    const { board, port } = await simWithConsole();
    const bad = join(tmp(), "board.json");
    writeFileSync(bad, JSON.stringify({ device: { name: "x" }, smtp: { port: "465" } }));
    const r = await runCli(["--port", port, "--board", bad, "--local", join(tmp(), "none.json"), "--app", app().file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/board\.json is not valid, nothing was sent:\n {2}- /);
    // Not even the probe reached the board.
    expect(board.output.filter((l) => l.includes("@am"))).toEqual([]);
    expect(board.storage.names()).toEqual([]);
  });

  it("a serial port that does not exist", async () => {
    const r = await runCli(["--port", "/dev/ttyALERTMAIL-NONE", "--board", BOARD_JSON, "--local", NO_LOCAL, "--app", app().file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no such serial port \/dev\/ttyALERTMAIL-NONE/);
  });
});
