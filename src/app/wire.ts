// The real board: wires Espruino's facilities (src/platform/) into the boot sequence (app/start.ts).
import { startFirmware } from "./start.ts";
import { espruinoTransport } from "../platform/socket.ts";
import { boardTimers } from "../platform/timers.ts";
import { boardStore } from "../platform/storage.ts";
import { boardPins, bootReason, enableWatchdog, expose, hasTls, kickWatchdog, log, memory, now } from "../platform/board.ts";
import { createSmtpClient } from "../smtp/client.ts";
import { loop, setup } from "../sketch.ts";

startFirmware({
  store: boardStore(),
  pins: boardPins,
  timers: boardTimers,
  log: log,
  now: now,
  random: Math.random,
  memory: memory,
  hasTls: hasTls,
  enableWatchdog: enableWatchdog,
  kickWatchdog: kickWatchdog,
  wifi: function () {
    return require("Wifi");
  },
  smtp: function (o) {
    return createSmtpClient(o, espruinoTransport, boardTimers);
  },
  bootReason: bootReason,
  expose: expose,
  sketch: { setup: setup, loop: loop },
});
