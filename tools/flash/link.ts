// Opens the byte link to an Espruino console: a serial port (115200 8N1) or a tcp:// telnet console.
import { connect, type Socket } from "node:net";
import { FlashError } from "./errors.ts";

export interface Link {
  /** Human name of the other end, for messages. */
  name: string;
  write(data: Buffer): Promise<void>;
  onData(fn: (chunk: Buffer) => void): void;
  onClose(fn: () => void): void;
  close(): Promise<void>;
}

/** The ESP32's Espruino telnet console port. */
export const TELNET_PORT = 23;
export const SERIAL_BAUD = 115200;

export interface TcpTarget {
  host: string;
  port: number;
}

/** "tcp://host[:port]" → {host, port}; null when the port is not a tcp:// address. */
export function parseTcpPort(port: string): TcpTarget | null {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(port);
  if (!m) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port: m[2] ? Number(m[2]) : TELNET_PORT };
}

function tcpError(target: TcpTarget, e: NodeJS.ErrnoException): FlashError {
  const where = `${target.host}:${target.port}`;
  switch (e.code) {
    case "ECONNREFUSED":
      return new FlashError(
        "ECONNREFUSED",
        `${where} refused the connection: nothing listens there. Is the board on WiFi with that address, ` +
          `and is its telnet console on port ${target.port}? (Espruino's ESP32 telnet console is port ${TELNET_PORT}.)`,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new FlashError("ENOPORT", `no such host "${target.host}" (DNS lookup failed). Use the board's IP address.`);
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new FlashError("ECONNECT", `${where} is unreachable (${e.code}): is the board powered and on the same network?`);
    default:
      return new FlashError("ECONNECT", `cannot connect to ${where}: ${e.message}`);
  }
}

export function openTcp(target: TcpTarget, timeoutMs = 10000): Promise<Link> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(tcpError(target, Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    }, timeoutMs);
    sock.once("error", (e) => {
      clearTimeout(timer);
      reject(tcpError(target, e));
    });
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeAllListeners("error");
      sock.on("error", () => {}); // surfaced as close
      sock.setNoDelay(true);
      resolve({
        name: `tcp://${target.host}:${target.port}`,
        write: (data) => new Promise((res, rej) => sock.write(data, (err) => (err ? rej(err) : res()))),
        onData: (fn) => void sock.on("data", fn),
        onClose: (fn) => void sock.on("close", fn),
        close: () =>
          new Promise((res) => {
            if (sock.destroyed) return res();
            sock.once("close", () => res());
            sock.end();
            setTimeout(() => sock.destroy(), 500).unref();
          }),
      });
    });
  });
}

export function serialError(path: string, e: Error): FlashError {
  const msg = e.message;
  if (/EACCES|Permission denied|Access denied/i.test(msg))
    return new FlashError(
      "EACCES",
      `permission denied on ${path}: your user may not use serial ports. Add it to the dialout group with ` +
        `\`sudo usermod -aG dialout $USER\`, then log out and in again (or run \`newgrp dialout\`).`,
    );
  if (/ENOENT|No such file|File not found/i.test(msg))
    return new FlashError(
      "ENOPORT",
      `no such serial port ${path}. Plug the board in and look for it with \`ls /dev/ttyUSB* /dev/ttyACM*\` ` +
        `(macOS: /dev/cu.*; Windows: COM3…), or use --port tcp://IP for the WiFi console.`,
    );
  if (/EBUSY|Resource busy|lock/i.test(msg))
    return new FlashError("ECONNECT", `${path} is busy: close any other terminal (screen, minicom, the Espruino IDE) using it.`);
  return new FlashError("ECONNECT", `cannot open ${path}: ${msg}`);
}

export async function openSerial(path: string): Promise<Link> {
  const { SerialPort } = await import("serialport");
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: SERIAL_BAUD, autoOpen: false });
    port.open((err) => {
      if (err) return reject(serialError(path, err));
      port.on("error", () => {});
      resolve({
        name: path,
        write: (data) =>
          new Promise((res, rej) => {
            port.write(data, (e) => (e ? rej(e) : port.drain((e2) => (e2 ? rej(e2) : res()))));
          }),
        onData: (fn) => void port.on("data", fn),
        onClose: (fn) => void port.on("close", fn),
        close: () => new Promise((res) => (port.isOpen ? port.close(() => res()) : res())),
      });
    });
  });
}

export function openLink(port: string): Promise<Link> {
  const tcp = parseTcpPort(port);
  if (tcp) return openTcp(tcp);
  if (port.startsWith("tcp:")) return Promise.reject(new FlashError("ENOPORT", `bad tcp port "${port}": use tcp://host[:port]`));
  return openSerial(port);
}
