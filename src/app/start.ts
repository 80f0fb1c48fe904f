// Boot, in named steps: configuration → TLS check → clock (watchdog + monotonic tick) → outbox + sender → rules →
// console + sketch ("ready") → WiFi → SNTP → send. The alert itself is app/alert.ts; the console object app/console.ts.
// Every board facility is injected (platform/facilities.ts's Board), so the whole firmware runs on Node with fakes.
import { CONFIG_FILE, type AlertRule, type DeviceConfig } from "../config.ts";
import { openQueue } from "../outbox/queue.ts";
import { createSender, type SendParts, type Sender } from "../outbox/sender.ts";
import type { Board } from "../platform/facilities.ts";
import { monotonic } from "../platform/timers.ts";
import { keepWifi } from "../platform/wifi.ts";
import { armRules, type Rules } from "../rules/arm.ts";
import { every } from "../rules/every.ts";
import { raiseRule } from "./alert.ts";
import { openConsole } from "./console.ts";

/** Constants inlined by the bundler (a module-level const would stay in the board's variables). */
const enum K {
  /** Watchdog kick and clock-watch tick (at least every CLOCK_STEP_MS, for the monotonic clock). */
  TICK_MS = 5000,
}

/** The running firmware: one object the boot steps fill in, shared by the sender, the rules' raise and the console. */
export interface Firmware extends SendParts {
  sender: Sender;
  rules: Rules;
  /** Why this boot happened (read once at boot: reading it erases a restart's note). */
  why: string;
}

/**
 * Boot step: the watchdog, and this boot's clock: ms since boot, steady across the SNTP step (platform/timers.ts's
 * monotonic, the one clock-step rule), read by a tick at least every CLOCK_STEP_MS that also kicks the watchdog.
 */
function startClock(b: Board, wd: number): () => number {
  const mono = monotonic(b.now);
  const t0 = mono();
  if (wd > 0) b.watchdog(wd);
  every(b.timers, K.TICK_MS, function () {
    mono();
    if (wd > 0) b.watchdog(0);
  });
  return function () {
    return mono() - t0;
  };
}

function boot(b: Board, cfg: DeviceConfig): void {
  // docs/flashing.md says more: the official ESP32 build has TLS, ESP32_IDF4 has not.
  if ((cfg.api ? cfg.api.tls : cfg.smtp.security == "tls") && !b.tls) return b.log("no TLS: flash the ESP32 build, not ESP32_IDF4");
  const fw = {
    b: b,
    cfg: cfg,
    up: startClock(b, cfg.device.watchdogSeconds),
    boot: Math.floor(b.random() * 1e9),
    link: { ip: "", up: false },
    queue: openQueue(b.store, cfg.outbox.max, b.crc),
    why: b.bootReason(),
    // What became of a rule's mail, beside what its limits did (the rules own their states).
    report: function (name: string, line: string) {
      const st = fw.rules.states[name];
      if (st) st.result = line;
    },
  } as Firmware;
  fw.sender = createSender(fw);
  // Rules last but one: a boot rule raises its alert at once, into the outbox and the sender made above.
  fw.rules = armRules(cfg.alerts, {
    pins: b.pins,
    timers: b.timers,
    now: fw.up,
    raise: function (r: AlertRule, value: string, state: string, count: number) {
      raiseRule(fw, r, value, state, count);
    },
  });
  openConsole(fw);
  b.log("ready");
  keepWifi(b.wifi, b.timers, fw.link, cfg, fw.sender.kick, b.log);
}

/** Boots, or says why not: a missing or broken configuration (or anything the board refuses) is a console line, never a crash loop. */
export function startFirmware(b: Board): void {
  const raw = b.store.read(CONFIG_FILE);
  if (raw === undefined) return b.log("no configuration: run `npm run flash`");
  try {
    boot(b, JSON.parse(raw));
  } catch (e) {
    b.log("bad configuration (" + e + "): run `npm run flash`");
  }
}
