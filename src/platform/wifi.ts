// Keeps WiFi up forever (writing its state into `link`): connect, retry with backoff, reconnect after every "disconnected" (Espruino won't), then SNTP.
import type { Timers } from "./timers.ts";

/** The parts of require("Wifi") used here (docs/espruino.md §3). */
export interface WifiModule {
  connect(ssid: string, opts: { password: string }, cb: (err: any) => void): void;
  on(ev: string, fn: (d: any) => void): void;
  setSNTP(server: string, tz: string): void;
  getIP(cb?: (info: { ip: string }) => void): any;
}

export interface WifiLink {
  /** "" while down. */
  ip: string;
  up: boolean;
}

/** Constants inlined by the bundler (a module-level const would stay in the board's variables). */
const enum K {
  FIRST_RETRY_MS = 2000,
  MAX_RETRY_MS = 60000,
  /** A connect that has not called back by then is taken as failed (so the retries never stop). */
  CONNECT_TIMEOUT_MS = 60000,
}

export function keepWifi(
  W: WifiModule,
  timers: Timers,
  link: WifiLink,
  cfg: { wifi: { ssid: string; password: string }; device: { ntpServer: string; timezone: string } },
  onUp: () => void,
  log: (s: string) => void,
): void {
  let wait = K.FIRST_RETRY_MS;
  let retry: any;
  let connecting = false;

  function later() {
    if (retry !== undefined || connecting) return;
    log("WiFi down, retry in " + wait / 1000 + " s");
    retry = timers.set(attempt, wait);
    wait = Math.min(wait * 2, K.MAX_RETRY_MS);
  }
  function attempt() {
    connecting = true;
    // A connect that throws, or has not called back in time, ends like one that calls back with an error.
    const done = function (err: any) {
      timers.clear(retry);
      retry = undefined;
      connecting = false;
      if (err) return later();
      wait = K.FIRST_RETRY_MS;
      link.up = true;
      const i = W.getIP();
      if (i && i.ip) link.ip = i.ip;
      log("WiFi up " + link.ip);
      try {
        W.setSNTP(cfg.device.ntpServer, cfg.device.timezone);
      } catch (e) {
        log("SNTP: " + e);
      }
      onUp();
    };
    retry = timers.set(function () {
      done(1);
    }, K.CONNECT_TIMEOUT_MS);
    try {
      W.connect(cfg.wifi.ssid, { password: cfg.wifi.password }, done);
    } catch (e) {
      done(1); // whatever it threw (even undefined) is a failed attempt
    }
  }
  W.on("connected", function (d) {
    if (d && d.ip) link.ip = d.ip;
  });
  W.on("disconnected", function () {
    link.up = false;
    link.ip = "";
    later();
  });
  attempt();
}
