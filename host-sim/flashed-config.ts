// `npm start -- --console PORT`: a configuration flashed into the simulator (`npm run flash -- --port
// tcp://…`) is pointed at the embedded SMTP server before the board restarts from it, as `npm start`
// points board.json there, and the simulator says so; `--real` leaves it alone (no embedded server).
import { CONFIG_FILE } from "../src/config.ts";
import { configToStorageString } from "../tools/config/storage-string.ts";
import type { DeviceConfig } from "../src/config.ts";

/** Where the embedded server listens and the login it accepts (npm start's pointed smtp section). */
export interface EmbeddedServer {
  host: string;
  port: number;
  security: DeviceConfig["smtp"]["security"];
  user: string;
  password: string;
}

interface Storage {
  readBytes(name: string): Buffer | undefined;
  writeBytes(name: string, data: Buffer): void;
}

/**
 * If Storage's alertmail.json sends anywhere but the embedded server, rewrites its smtp host, port,
 * security and login to the server's and returns the note to show; null when there was nothing to do.
 */
export function pointFlashedConfig(storage: Storage, server: EmbeddedServer): string | null {
  const bytes = storage.readBytes(CONFIG_FILE);
  if (!bytes) return null;
  let cfg: DeviceConfig;
  try {
    cfg = JSON.parse(bytes.toString("utf8")) as DeviceConfig;
  } catch {
    return null; // the firmware reports a broken configuration itself
  }
  const s = cfg?.smtp;
  if (!s || typeof s !== "object") return null;
  const same = s.host === server.host && s.port === server.port && s.security === server.security;
  const sameLogin = s.user === server.user && s.password === server.password;
  if (same && sameLogin) return null;
  const was = `${s.host}:${s.port} (${s.security})`;
  cfg.smtp = { ...s, host: server.host, port: server.port, security: server.security, user: server.user, password: server.password };
  storage.writeBytes(CONFIG_FILE, Buffer.from(configToStorageString(cfg), "utf8"));
  return (
    `NOTE: the flashed ${CONFIG_FILE} sends to ${was}; the simulator points it at its embedded server ` +
    `${server.host}:${server.port}${sameLogin ? "" : ` with the server's login (${server.user})`}, as npm start does. ` +
    `To send through the real server, use npm start -- --real.`
  );
}
