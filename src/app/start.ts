// Boot order: configuration → TLS check → watchdog → outbox → rules → console + sketch ("ready") → WiFi → SNTP → send.
// Every board facility is injected, so the whole firmware runs on Node with fakes.
import { CONFIG_FILE, type AlertRule, type DeviceConfig, type Mailbox } from "../config.ts";
import type { AlertmailConsole, SketchApi } from "../console-api.ts";
import { openQueue } from "../outbox/queue.ts";
import { createSender, type SenderBoard } from "../outbox/sender.ts";
import type { Pins } from "../platform/pins.ts";
import type { Store } from "../platform/storage.ts";
import { CLOCK_STEP_MS } from "../platform/timers.ts";
import { keepWifi, type WifiLink, type WifiModule } from "../platform/wifi.ts";
import { armRules, every } from "../rules/arm.ts";
import type { SmtpClient, SmtpClientOptions } from "../smtp/client.ts";
import { fillTemplate, formatTime, oneLine, tzOffsetMinutes } from "../template.ts";

export interface Board extends SenderBoard {
  store: Store;
  /** CRC-32 of a byte string (E.CRC32). */
  crc(s: string): number;
  pins: Pins;
  /** Does this Espruino build have the tls module? */
  tls: boolean;
  /** seconds > 0: start the hardware watchdog; 0: kick it. */
  watchdog(seconds: number): void;
  wifi: WifiModule;
  smtp(o: SmtpClientOptions): SmtpClient;
  /** Why this boot happened (a deliberate restart's note, read once). */
  bootReason(): string;
  /** Makes the console object reachable as the global `alertmail`. */
  expose(api: AlertmailConsole): void;
  sketch: { setup(api: SketchApi): void; loop: ((api: SketchApi) => void) | null };
}

/** Watchdog kick and clock-watch tick. */
const TICK_MS = 5000;

function boot(b: Board, cfg: DeviceConfig): void {
  const smtp = cfg.smtp;
  const wd = cfg.device.watchdogSeconds;
  const secure = smtp.security == "tls";
  // docs/flashing.md says more: the official ESP32 build has TLS, ESP32_IDF4 has not.
  if (secure && !b.tls) return b.log("no TLS: flash the ESP32 build, not ESP32_IDF4");
  // Monotonic ms for limits and uptime: the wall clock jumps from 1970 to today when SNTP sets it.
  // A step over CLOCK_STEP_MS between two calls is taken out, the same rule the timers use
  // (platform/timers.ts): the tick that SNTP fires early is re-armed, the next one sees the step.
  let skew = 0;
  let lastWall = b.now();
  const mono = function () {
    const t = b.now();
    const d = t - lastWall;
    if (d < 0 || d > CLOCK_STEP_MS) skew += d;
    lastWall = t;
    return t - skew;
  };
  const bootMono = mono();
  if (wd > 0) b.watchdog(wd);
  every(b.timers, TICK_MS, function () {
    mono();
    if (wd > 0) b.watchdog(0);
  });

  const tz = tzOffsetMinutes(cfg.device.timezone);
  const link: WifiLink = { ip: "", up: false };
  const queue = openQueue(b.store, cfg.outbox.max, b.crc);
  const sender = createSender(cfg, queue, b.smtp(smtp), b, link, function (name, line) {
    const st = rules.states[name];
    if (st) st.result = line;
  });
  const bootReason = b.bootReason();

  /** Renders and persists one alert (before any attempt to send it), then lets the sender coalesce it. */
  function queueAlert(r: { name: string; subject: string; body: string; format: string; to?: Mailbox[]; digest?: boolean }, value: string, state: string, unit: string, count: number) {
    const at = Math.floor(b.now());
    const html = r.format == "html";
    const v = {
      device: cfg.device.name,
      name: r.name,
      value: value,
      unit: unit,
      state: state,
      time: formatTime(at, tz),
      count: "" + count,
      ip: link.ip || "offline",
    };
    const s = oneLine(fillTemplate(r.subject, v, false));
    try {
      queue.add({
        r: r.name,
        s: s,
        b: fillTemplate(r.body, v, html),
        h: html ? 1 : 0,
        // never undefined: what JSON.stringify does with it differs between engines
        to: r.to || [],
        g: r.digest ? 1 : 0,
        at: at,
        id: at.toString(36) + "." + Math.floor(b.random() * 1e9).toString(36) + "@" + smtp.helo,
        k: 0,
      });
      b.log('queued "' + s + '"');
    } catch (e) {
      // Flash full: counted like an alert dropped from a full outbox, and reported the same way.
      queue.notes.d++;
      queue.saveNotes();
      b.log('could not store "' + s + '": ' + e);
    }
    sender.kick(false);
  }

  const rules = armRules(cfg.alerts, {
    pins: b.pins,
    timers: b.timers,
    now: mono,
    raise: function (r: AlertRule, value: string, state: string, count: number) {
      if (r.kind == "heartbeat") {
        const m = Math.floor((mono() - bootMono) / 60000);
        state = sender.lastError || "no errors";
        count = sender.sent;
        value = "up " + Math.floor(m / 60) + " h " + (m % 60) + " min, " + count + " sent, " + queue.names().length + " queued, last error: " + state;
        // The heartbeat always carries its status, even when the template leaves {{value}} out.
        if (!/[{][{]value[}][}]/.test(r.body)) r.body += r.format == "html" ? "<p>{{value}}</p>" : "\n\n{{value}}";
      }
      if (r.kind == "boot") value = state = bootReason;
      queueAlert(r, value, state, r.kind == "analog" ? r.unit : "", count);
    },
  });

  const api: AlertmailConsole = {
    send: function (m) {
      const to = typeof m.to == "string" ? [m.to] : m.to || [];
      queueAlert(
        {
          name: "sketch",
          subject: m.subject,
          body: m.html || m.text || "",
          format: m.html ? "html" : "text",
          to: to.map(function (a) {
            return { name: "", address: a };
          }),
        },
        "", "", "", 1,
      );
    },
    onPin: function (pin, fn, o) {
      o = o || {};
      b.pins.watch(pin, o.pull || "up", o.edge || "both", o.debounceMs || 50, fn);
    },
    digital: b.pins.digital,
    analog: b.pins.analog,
    log: b.log,
    millis: function () {
      return mono() - bootMono;
    },
    status: function () {
      const t = b.now();
      const n = queue.notes;
      const r: { [k: string]: string } = {};
      Object.keys(rules.states).forEach(function (k) {
        const st = rules.states[k];
        r[k] = st.result + (st.count ? " (+" + st.count + " held back)" : "");
      });
      const st = {
        wifi: link.up ? "up " + link.ip : "down",
        clock: formatTime(t, tz),
        outbox: {
          queued: queue.names().length,
          sending: sender.busy,
          retryInSeconds: sender.retryAt ? Math.round((sender.retryAt - t) / 1000) : 0,
          sent: sender.sent,
          dropped: n.d,
          damaged: n.c,
          refused: n.f,
          lastError: sender.lastError,
        },
        rules: r,
        memory: b.memory(),
      };
      return st; // the console prints it
    },
    test: function () {
      queueAlert({ name: "test", subject: "{{device}}: test mail", body: "Test mail from {{device}} ({{ip}}) at {{time}}.", format: "text" }, "", "test", "", 1);
      sender.kick(true);
    },
    fire: function (name) {
      if (!rules.fire(name)) b.log('no rule named "' + name + '"');
    },
  };
  b.expose(api);
  b.sketch.setup(api);
  const loop = b.sketch.loop;
  if (loop && cfg.sketch.loopMs > 0) {
    every(b.timers, cfg.sketch.loopMs, function () {
      loop(api);
    });
  }
  b.log("ready");
  keepWifi(b.wifi, b.timers, link, cfg, function () {
    sender.kick(true);
  }, b.log);
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
