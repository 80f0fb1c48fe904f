// What the firmware needs from a board: the Board type, declared here in platform/ (the real one is
// platform/board.ts; the tests' fakes and the simulator give others).
import type { AlertmailConsole, SketchApi } from "../console-api.ts";
import type { SmtpClient, SmtpClientOptions } from "../smtp/client.ts";
import type { ApiSettings } from "../api/settings.ts";
import type { Pins } from "./pins.ts";
import type { Store } from "./storage.ts";
import type { Timers } from "./timers.ts";
import type { WifiModule } from "./wifi.ts";

/** Every board facility the firmware uses, injected (app/start.ts), so the whole firmware runs on Node with fakes. */
export interface Board {
  store: Store;
  /** CRC-32 of a byte string (E.CRC32). */
  crc(s: string): number;
  pins: Pins;
  timers: Timers;
  now(): number;
  /** process.memory(): free = JS variables free (14 bytes each on the ESP32). */
  memory(): { free: number };
  random(): number;
  log(s: string): void;
  /** Does this Espruino build have the tls module? */
  tls: boolean;
  /** seconds > 0: start the hardware watchdog; 0: kick it. */
  watchdog(seconds: number): void;
  wifi: WifiModule;
  /** A new SMTP client; onIdle: it holds nothing any more (smtp/client.ts). */
  smtp(o: SmtpClientOptions, onIdle: () => void): SmtpClient;
  /** A new API client (src/api/, its own Storage file, loaded once), made only when the configuration has api. */
  api?(o: ApiSettings, onIdle: () => void): SmtpClient;
  /** Why this boot happened (a deliberate restart's note, read once). */
  bootReason(): string;
  /** Makes the console object reachable as the global `alertmail`. */
  expose(api: AlertmailConsole): void;
  sketch: { setup(api: SketchApi): void; loop: ((api: SketchApi) => void) | null };
}
