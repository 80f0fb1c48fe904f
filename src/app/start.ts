// Boot order: configuration → TLS check → watchdog → outbox → rules → console + sketch ("ready") → WiFi → SNTP → send.
// Every board facility is injected, so the whole firmware runs on Node with fakes.
import { CONFIG_FILE, type AlertRule, type DeviceConfig, type Mailbox } from "../config.ts";
import type { AlertmailConsole, SketchApi } from "../console-api.ts";
import { openQueue, type QueuedAlert } from "../outbox/queue.ts";
import { createSender } from "../outbox/sender.ts";
import type { Pins } from "../platform/pins.ts";
import type { Store } from "../platform/storage.ts";
import type { Timers } from "../platform/timers.ts";
import { keepWifi, type WifiLink, type WifiModule } from "../platform/wifi.ts";
import { armRules, every, type Trigger } from "../rules/arm.ts";
import type { SmtpClient, SmtpClientOptions } from "../smtp/client.ts";
import { clockSet, fillTemplate, formatTime, oneLine, tzOffsetMinutes } from "../template.ts";

export interface Board {
  store: Store;
  pins: Pins;
  timers: Timers;
  log(s: string): void;
  now(): number;
  random(): number;
  freeVars(): number;
  memory(): object;
  hasTls(): boolean;
  enableWatchdog(seconds: number): void;
  kickWatchdog(): void;
  wifi(): WifiModule;
  smtp(o: SmtpClientOptions): SmtpClient;
  bootReason(): string;
  expose(name: string, v: object): void;
  sketch: { setup(api: SketchApi): void; loop: ((api: SketchApi) => void) | null };
}

/** Watchdog kick and uptime tick. */
const TICK_MS = 5000;
const SECTIONS = ["device", "wifi", "smtp", "alerts", "outbox", "sketch"];

/** The configuration from Storage, or a sentence saying why there is none. */
export function readConfig(store: Store): DeviceConfig | string {
  const raw = store.read(CONFIG_FILE);
  if (raw === undefined) return "no configuration: Storage file " + CONFIG_FILE + " is missing; run `npm run flash`";
  let c: any;
  try {
    c = JSON.parse(raw);
  } catch (e) {
    return "bad configuration: " + CONFIG_FILE + " is not JSON; run `npm run flash -- --config-only`";
  }
  const missing = SECTIONS.filter(function (k) {
    return !c || typeof c[k] != "object";
  });
  if (missing.length) return "bad configuration: " + CONFIG_FILE + " lacks " + missing.join(", ");
  return c;
}

function mailboxes(to: string | string[] | undefined): Mailbox[] {
  return (typeof to == "string" ? [to] : to || []).map(function (a) {
    return { name: "", address: a };
  });
}

export function startFirmware(b: Board): void {
  const got = readConfig(b.store);
  if (typeof got == "string") return b.log(got);
  const cfg = got;
  const smtp = cfg.smtp;
  if (smtp.security == "tls" && !b.hasTls()) {
    return b.log(
      "this Espruino build has no TLS: flash the official ESP32 build (not ESP32_IDF4), or use a plain LAN relay",
    );
  }
  let upMs = 0;
  if (cfg.device.watchdogSeconds > 0) b.enableWatchdog(cfg.device.watchdogSeconds);
  every(b.timers, TICK_MS, function () {
    upMs += TICK_MS;
    if (cfg.device.watchdogSeconds > 0) b.kickWatchdog();
  });

  const tz = tzOffsetMinutes(cfg.device.timezone);
  const link: WifiLink = { ip: "", up: false };
  const queue = openQueue(b.store, cfg.outbox.max);
  const sender = createSender({
    cfg: cfg,
    queue: queue,
    client: b.smtp({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.security == "tls",
      user: smtp.user,
      password: smtp.password,
      allowPlainAuth: smtp.trustedRelay,
      helo: smtp.helo,
      keepAliveMs: smtp.keepAliveSeconds * 1000,
      timeoutMs: smtp.timeoutSeconds * 1000,
    }),
    timers: b.timers,
    now: b.now,
    online: function () {
      return link.up;
    },
    freeVars: b.freeVars,
    random: b.random,
    log: b.log,
  });

  /** Renders and persists one alert, then lets the sender coalesce it with others. */
  function queueAlert(name: string, subject: string, body: string, html: boolean, to: Mailbox[], digest: boolean, t: Trigger, count: number) {
    const at = b.now();
    const v = {
      device: cfg.device.name,
      name: name,
      value: t.value,
      unit: t.unit,
      state: t.state,
      time: formatTime(at, tz),
      count: "" + count,
      ip: link.ip || "offline",
    };
    const a: QueuedAlert = {
      r: name,
      s: oneLine(fillTemplate(subject, v, false)),
      b: fillTemplate(body, v, html),
      h: html ? 1 : 0,
      at: at,
      id: at.toString(36) + "." + Math.floor(b.random() * 1e9).toString(36) + "@" + smtp.helo,
      k: 0,
    };
    if (to.length) a.to = to;
    if (digest) a.g = 1;
    try {
      queue.add(a);
      b.log('queued "' + a.s + '"');
    } catch (e) {
      b.log('outbox full, not queued "' + a.s + '": ' + e);
    }
    sender.kick(false);
  }

  const rules = armRules(cfg.alerts, {
    pins: b.pins,
    timers: b.timers,
    now: b.now,
    bootReason: b.bootReason(),
    raise: function (r: AlertRule, t: Trigger, count: number) {
      queueAlert(r.name, r.subject, r.body, r.format == "html", r.to, r.digest, t, count);
    },
    heartbeat: function () {
      const m = Math.floor(upMs / 60000);
      const err = sender.lastError || "none";
      return {
        value: "up " + Math.floor(m / 60) + " h " + (m % 60) + " min, " + sender.sent + " sent, " +
          queue.names().length + " queued, last error: " + err,
        unit: "",
        state: err,
        count: sender.sent,
      };
    },
  });

  const api: AlertmailConsole = {
    send: function (m) {
      const html = typeof m.html == "string";
      queueAlert("sketch", m.subject, (html ? m.html : m.text) || "", html, mailboxes(m.to), false, { value: "", unit: "", state: "" }, 1);
    },
    onPin: function (pin, fn, o) {
      o = o || {};
      b.pins.watch(pin, o.pull || "up", o.edge || "both", o.debounceMs || 50, fn);
    },
    digital: b.pins.digital,
    analog: b.pins.analog,
    log: b.log,
    status: function () {
      const t = b.now();
      const n = queue.notes;
      const r: { [k: string]: string } = {};
      Object.keys(rules.states).forEach(function (k) {
        r[k] = rules.states[k].result;
      });
      const st = {
        wifi: link.up ? "up " + link.ip : "down",
        clock: clockSet(t) ? formatTime(t, tz) : "not set",
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
      b.log("status " + JSON.stringify(st));
      return st;
    },
    test: function () {
      queueAlert("test", "{{device}}: test mail", "Test mail from {{device}} ({{ip}}) at {{time}}.", false, [], false, { value: "", unit: "", state: "test" }, 1);
      sender.kick(true);
    },
    fire: function (name) {
      if (!rules.fire(name)) b.log('no rule named "' + name + '"');
    },
  };
  b.expose("alertmail", api);
  b.sketch.setup(api);
  const loop = b.sketch.loop;
  if (loop && cfg.sketch.loopMs > 0) {
    every(b.timers, cfg.sketch.loopMs, function () {
      loop(api);
    });
  }
  b.log("ready");

  keepWifi(b.wifi(), b.timers, link, {
    ssid: cfg.wifi.ssid,
    password: cfg.wifi.password,
    ntp: cfg.device.ntpServer,
    tz: cfg.device.timezone,
  }, function () {
    sender.kick(true);
  }, b.log);
}
