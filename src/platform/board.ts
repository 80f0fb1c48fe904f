// The real board (the Board of platform/facilities.ts) for app/start.ts: Espruino's console, clock, memory, watchdog, Storage, WiFi, pins,
// timers and sockets, with the facts about them (docs/espruino.md §3) in one place.
import { createSmtpClient } from "../smtp/client.ts";
import { API_MODULE } from "../api/settings.ts";
import type { Board } from "./facilities.ts";
import type { Pins } from "./pins.ts";
import { espruinoTransport } from "./socket.ts";
import { boardTimers } from "./timers.ts";

/** Storage file whoever restarts the board on purpose may write the reason into (read once at the next boot). */
export const RESTART_NOTE = "amreboot";

/** Pins through setWatch/pinMode/digitalRead/analogRead (docs/espruino.md §3). */
export const boardPins: Pins = {
  watch: function (pin, pull, edge, debounceMs, fn) {
    pinMode(pin, pull == "up" ? "input_pullup" : pull == "down" ? "input_pulldown" : "input");
    setWatch(
      function (e) {
        fn(!!e.state);
      },
      pin,
      { repeat: true, edge: edge, debounce: debounceMs },
    );
  },
  digital: function (pin) {
    return !!digitalRead(pin);
  },
  analog: analogRead,
};

/** The board, with the sketch's setup/loop (src/sketch.ts). Static natives are handed over as they are. */
export function espruinoBoard(sketch: Board["sketch"]): Board {
  let apiFactory: any;
  const S = require("Storage");
  return {
    // The Storage module is the Store (platform/storage.ts): read, write, erase, list(regex).
    store: S,
    pins: boardPins,
    timers: boardTimers,
    log: function (s) {
      console.log("alertmail: " + s);
    },
    now: Date.now,
    random: Math.random,
    crc: E.CRC32,
    memory: process.memory,
    // Whole names: the official ESP32 build has "tls" in MODULES, ESP32_IDF4 does not.
    // bundle-check-ok: needle-indexOf (an Array: exact match)
    tls: (process.env.MODULES || "").split(",").indexOf("tls") >= 0,
    watchdog: function (seconds) {
      // isAuto false: only our kicks keep the chip alive.
      if (seconds) E.enableWatchdog(seconds, false);
      else E.kickWatchdog();
    },
    wifi: require("Wifi"),
    smtp: function (o, idle) {
      return createSmtpClient(o, espruinoTransport, boardTimers, idle);
    },
    api: function (o, idle) {
      // `npm run flash` writes API_MODULE only for an api configuration. Evaluated once, its value is the
      // transport's factory (indirect eval: esbuild keeps minifying); missing, every try says so.
      if (!apiFactory) apiFactory = (0, eval)(S.read(API_MODULE) || 'console.log("alertmail: no ' + API_MODULE + ': npm run flash")');
      return apiFactory(o, boardTimers, idle);
    },
    bootReason: function () {
      const why = S.read(RESTART_NOTE);
      if (why === undefined) return "power-on or reset";
      S.erase(RESTART_NOTE);
      return why;
    },
    expose: function (v) {
      global.alertmail = v;
    },
    sketch: sketch,
  };
}
