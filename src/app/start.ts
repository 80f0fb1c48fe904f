// Boot order: configuration → TLS check → watchdog → outbox → rules → console + sketch ("ready") → WiFi → SNTP → send.
// Every board facility is injected (platform/board.ts's Board), so the whole firmware runs on Node with fakes.
import { clockSet, formatTime, TIME_MARK, tzOf } from "../clock.ts";
import { CONFIG_FILE, type AlertRule, type DeviceConfig, type Mailbox } from "../config.ts";
import type { AlertmailConsole } from "../console-api.ts";
import { chooseEncoding } from "../mime/body.ts";
import { openQueue, type Queue } from "../outbox/queue.ts";
import { createSender, type Sender, type SenderBoard } from "../outbox/sender.ts";
import type { Board } from "../platform/facilities.ts";
import { monotonic } from "../platform/timers.ts";
import { keepWifi, type WifiLink } from "../platform/wifi.ts";
import { armRules, type Rules } from "../rules/arm.ts";
import { every } from "../rules/every.ts";
import { fillTemplate, oneLine } from "../template.ts";

/** Constants inlined by the bundler (a module-level const would stay in the board's variables). */
const enum K {
  /** Watchdog kick and clock-watch tick (at least every CLOCK_STEP_MS, for the monotonic clock). */
  TICK_MS = 5000,
}

/** What an alert is made from: a rule, or alertmail.send/test. */
type Source = { name: string; subject: string; body: string; format: string; to?: Mailbox[]; digest?: boolean };

/** The parts of a running firmware that the console and the rules share. */
interface Parts {
  b: Board;
  cfg: DeviceConfig;
  env: SenderBoard;
  link: WifiLink;
  queue: Queue;
  sender: Sender;
}

/**
 * Renders and persists one alert (before any attempt to send it), then lets the sender take it. Before SNTP
 * has set the clock its {{time}} is TIME_MARK and its raise time is kept in monotonic ms: the sender writes
 * the true time and Date when it sends (after SNTP).
 */
function queueAlert(p: Parts, r: Source, value: string, state: string, unit: string, count: number) {
  const b = p.b;
  const at = Math.floor(b.now());
  const known = clockSet(at);
  const html = r.format == "html";
  const v = {
    device: p.cfg.device.name,
    name: r.name,
    value: value,
    unit: unit,
    state: state,
    time: known ? formatTime(at, tzOf(p.cfg)) : TIME_MARK,
    count: "" + count,
    ip: p.link.ip || "offline",
  };
  const s = oneLine(fillTemplate(r.subject, v, false));
  const body = fillTemplate(r.body, v, html);
  try {
    p.queue.add(
      {
        r: r.name,
        s: s,
        h: html ? 1 : 0,
        // Chosen without the time mark, which goes away when sent.
        c: chooseEncoding(known ? body : body.split(TIME_MARK).join("")),
        // never undefined: what JSON.stringify does with it differs between engines
        to: r.to || [],
        g: r.digest ? 1 : 0,
        at: known ? at : 0,
        m: known ? undefined : p.env.mono(),
        u: known ? undefined : p.env.boot,
        id: at.toString(36) + "." + Math.floor(b.random() * 1e9).toString(36) + "@" + p.cfg.smtp.helo,
        k: 0,
        n: 0,
      },
      body,
    );
    b.log('queued "' + s.split(TIME_MARK).join("") + '"');
  } catch (e) {
    // Flash full: counted like an alert dropped from a full outbox, and reported the same way.
    p.queue.lost();
    b.log('could not store "' + s + '": ' + e);
  }
  p.sender.kick(false);
}

/** The heartbeat's status line ({{value}}): uptime, mails sent, queued, last error. */
function heartbeatValue(p: Parts, upMs: number): string {
  const m = Math.floor(upMs / 60000);
  return "up " + Math.floor(m / 60) + " h " + (m % 60) + " min, " + p.sender.sent + " sent, " + p.queue.names().length + " queued, last error: " + (p.sender.lastError || "no errors");
}

/** The global `alertmail` object (console-api.ts). */
function consoleApi(p: Parts, rules: Rules): AlertmailConsole {
  const b = p.b;
  return {
    send: function (m) {
      const to = typeof m.to == "string" ? [m.to] : m.to || [];
      queueAlert(
        p,
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
      return p.env.mono();
    },
    status: function () {
      const t = b.now();
      const n = p.queue.notes;
      const sender = p.sender;
      const r: { [k: string]: string } = {};
      Object.keys(rules.states).forEach(function (k) {
        const st = rules.states[k];
        r[k] = st.result + (st.count ? " (+" + st.count + " held back)" : "");
      });
      return {
        wifi: p.link.up ? "up " + p.link.ip : "down",
        clock: formatTime(t, tzOf(p.cfg)),
        outbox: {
          queued: p.queue.names().length,
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
      }; // the console prints it
    },
    test: function () {
      queueAlert(p, { name: "test", subject: "{{device}}: test mail", body: "Test mail from {{device}} ({{ip}}) at {{time}}.", format: "text" }, "", "test", "", 1);
      p.sender.kick(true);
    },
    fire: function (name) {
      if (!rules.fire(name)) b.log('no rule named "' + name + '"');
    },
  };
}

function boot(b: Board, cfg: DeviceConfig): void {
  const wd = cfg.device.watchdogSeconds;
  // docs/flashing.md says more: the official ESP32 build has TLS, ESP32_IDF4 has not.
  if ((cfg.api ? cfg.api.tls : cfg.smtp.security == "tls") && !b.tls) return b.log("no TLS: flash the ESP32 build, not ESP32_IDF4");
  // Monotonic ms for limits, uptime and alerts raised before SNTP (platform/timers.ts has the rule).
  const mono = monotonic(b.now);
  const bootMono = mono();
  /** ms since boot, steady across the SNTP step. */
  const up = function () {
    return mono() - bootMono;
  };
  if (wd > 0) b.watchdog(wd);
  every(b.timers, K.TICK_MS, function () {
    mono();
    if (wd > 0) b.watchdog(0);
  });

  const env: SenderBoard = { timers: b.timers, now: b.now, mono: up, boot: Math.floor(b.random() * 1e9), memory: b.memory, random: b.random, log: b.log };
  const link: WifiLink = { ip: "", up: false };
  const queue = openQueue(b.store, cfg.outbox.max, b.crc);
  const p: Parts = { b: b, cfg: cfg, env: env, link: link, queue: queue, sender: null as any };
  p.sender = createSender(cfg, queue, function (idle) {
    return cfg.api ? b.api!(cfg.api, idle) : b.smtp(cfg.smtp, idle);
  }, env, link, function (name, line) {
    const st = rules.states[name];
    if (st) st.result = line;
  });
  const bootReason = b.bootReason();

  const rules = armRules(cfg.alerts, {
    pins: b.pins,
    timers: b.timers,
    now: mono,
    raise: function (r: AlertRule, value: string, state: string, count: number) {
      let src: Source = r;
      if (r.kind == "heartbeat") {
        state = p.sender.lastError || "no errors";
        count = p.sender.sent;
        value = heartbeatValue(p, up());
        // The heartbeat always carries its status, even when the template leaves {{value}} out
        // (added to this mail's copy of the template, never to the configuration's).
        if (!/[{][{]value[}][}]/.test(r.body)) src = { name: r.name, subject: r.subject, body: r.body + (r.format == "html" ? "<p>{{value}}</p>" : "\n\n{{value}}"), format: r.format, to: r.to, digest: r.digest };
      }
      if (r.kind == "boot") value = state = bootReason;
      queueAlert(p, src, value, state, r.kind == "analog" ? r.unit : "", count);
    },
  });

  const api = consoleApi(p, rules);
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
    p.sender.kick(true);
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
