// The simulator's TCP console behaves like Espruino's REPL where flashing and a human rely on it.
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isCompleteInput, startConsoleServer, type ConsoleServer } from "../../host-sim/console-server.ts";
import { createFakeEspruino } from "./fake-espruino.ts";

let server: ConsoleServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function open(board = createFakeEspruino()) {
  server = await startConsoleServer(board);
  const sock: Socket = await new Promise((resolve) => {
    const s = connect(server!.port, "127.0.0.1", () => resolve(s));
  });
  let received = "";
  let closed = false;
  sock.on("data", (d) => (received += d.toString("latin1")));
  sock.on("close", () => (closed = true));
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 500 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
  };
  return {
    board,
    sock,
    send: (s: string) => sock.write(Buffer.from(s, "latin1")),
    received: () => received,
    closed: () => closed,
    until,
    /** Waits until the output ends with `tail`, then returns everything received and clears it. */
    async take(tail: string) {
      await until(() => received.endsWith(tail));
      const r = received;
      received = "";
      return r;
    },
  };
}

describe("simulator console", () => {
  it("echoes what is typed, prints =result and a prompt", async () => {
    const c = await open();
    c.send("1+2\r\n");
    expect(await c.take(">")).toBe("1+2\r\n=3\r\n>");
    c.send('"a"+"b"\n');
    expect(await c.take(">")).toBe('"a"+"b"\r\n="ab"\r\n>');
  });

  it("runs a \\x10 line silently except for what it prints", async () => {
    const c = await open();
    c.send('\x10console.log("hi"+1)\n');
    expect(await c.take("hi1\r\n")).toBe("hi1\r\n");
    c.send("2*3\n");
    expect(await c.take(">")).toBe("2*3\r\n=6\r\n>");
  });

  it("Ctrl-C drops a half-typed line and erases it from the terminal", async () => {
    const c = await open();
    c.send("garbage(((");
    expect(await c.take("garbage(((")).toBe("garbage(((");
    // The board (probed over the real interpreter's telnet console): cursor back over the 10 characters,
    // "\r", ESC[J (erase to the end), a fresh prompt.
    c.send("\x03");
    expect(await c.take(">")).toBe("\x1b[D".repeat(10) + "\r\x1b[J>");
    // Had the line been kept, this would be garbage(((console.log(7) and wait for more input.
    c.send("\x10console.log(7)\n");
    expect(await c.take("7\r\n")).toBe("7\r\n");
  });

  it("continues a line until its brackets balance", async () => {
    const c = await open();
    c.send("(function(){\nreturn 5})()\n");
    // Board: the continued line is prompted with ":".
    expect(await c.take(">")).toBe("(function(){\r\n:return 5})()\r\n=5\r\n>");
    expect(isCompleteInput('f("(", 1)')).toBe(true);
    expect(isCompleteInput("if (a) {")).toBe(false);
  });

  it("prints uncaught errors", async () => {
    const c = await open();
    c.send("nosuchthing\n");
    expect(await c.take(">")).toMatch(/Uncaught ReferenceError: "nosuchthing" is not defined\r\n>$/);
  });

  it("load() restarts from Storage and keeps the connection; E.reboot() drops it", async () => {
    const c = await open();
    c.board.storage.set(".bootcde", 'console.log("booted")');
    c.send("\x10load()\n");
    await c.take("booted\r\n");
    expect(c.board.boots).toBe(1);
    c.send("\x10E.reboot()\n");
    await c.until(c.closed);
    expect(c.closed()).toBe(true);
    expect(c.board.boots).toBe(2);
  });
});
