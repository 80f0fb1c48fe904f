// Boot, in named steps: configuration → TLS check → clock (watchdog + monotonic tick) → outbox + sender → rules →
// console + sketch ("ready") → WiFi → SNTP → send; and what an alert is made of (queueAlert, the heartbeat's source).
// Every board facility is injected (platform/facilities.ts's Board), so the whole firmware runs on Node with fakes.
import { clockSet, formatTime, TIME_MARK, tzOf } from "../clock.ts";
import { CONFIG_FILE, type AlertRule, type DeviceConfig } from "../config.ts";
import type { AlertmailConsole } from "../console-api.ts";
import { chooseEncoding } from "../mime/body.ts";
import { openQueue } from "../outbox/queue.ts";
import { createSender, type SendParts, type Sender } from "../outbox/sender.ts";
import type { Board } from "../platform/facilities.ts";
import { monotonic } from "../platform/timers.ts";
import { keepWifi } from "../platform/wifi.ts";
import { armRules, type Rules } from "../rules/arm.ts";
import { every } from "../rules/every.ts";
import { fillTemplate, oneLine } from "../template.ts";

/** Constants inlined by the bundler (a module-level const would stay in the board's variables). */
const enum K {
  /** Watchdog kick and clock-watch tick (at least every CLOCK_STEP_MS, for the monotonic clock). */
  TICK_MS = 5000,
}

/** What an alert is made from: a rule, or alertmail.send/test. */
type Source = { name: string; subject: string; body: string; format: string; to?: AlertRule["to"]; digest?: boolean };

/** The running firmware: one object the steps fill in, shared by the sender, the rules' raise and the console. */
interface Firmware extends SendParts {
  sender: Sender;
  rules: Rules;
  /** Why this boot happened (read once at boot: reading it erases a restart's note). */
  why: string;
}

/**
 * Renders and persists one alert (before any attempt to send it), then lets the sender take it. Before SNTP
 * has set the clock its {{time}} is TIME_MARK and its raise time is kept in ms since boot: the sender writes
 * the true time and Date when it sends (after SNTP).
 */
function queueAlert(fw: Firmware, r: Source, value: string, state: string, unit: string, count: number) {
  const b = fw.b;
  const at = Math.floor(b.now());
  const known = clockSet(at);
  const html = r.format == "html";
  const v = {
    device: fw.cfg.device.name,
    name: r.name,
    value: value,
    unit: unit,
    state: state,
    time: known ? formatTime(at, tzOf(fw.cfg)) : TIME_MARK,
    count: "" + count,
    ip: fw.link.ip || "offline",
  };
  const s = oneLine(fillTemplate(r.subject, v, false));
  const body = fillTemplate(r.body, v, html);
  try {
    fw.queue.add(
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
        m: known ? undefined : fw.up(),
        u: known ? undefined : fw.boot,
        id: at.toString(36) + "." + Math.floor(b.random() * 1e9).toString(36) + "@" + fw.cfg.smtp.helo,
        k: 0,
        n: 0,
      },
      body,
    );
    b.log('queued "' + s.split(TIME_MARK).join("") + '"');
  } catch (e) {
    // Flash full: counted (and saved by the queue) like an alert dropped from a full outbox.
    fw.queue.lost();
    b.log('could not store "' + s + '": ' + e);
  }
  fw.sender.kick(true);
}

/**
 * A rule's alert, raised: a heartbeat carries its status line ({{value}}: uptime, mails sent, queued, last
 * error), added to this mail's copy of its template when the template leaves {{value}} out (never to the
 * configuration's own); a boot rule carries why the board started.
 */
function raiseRule(fw: Firmware, r: AlertRule, value: string, state: string, count: number) {
  let src: Source = r;
  if (r.kind == "heartbeat") {
    const sender = fw.sender;
    const m = Math.floor(fw.up() / 60000);
    state = sender.lastError || "no errors";
    count = sender.sent;
    value = "up " + Math.floor(m / 60) + " h " + (m % 60) + " min, " + count + " sent, " + fw.queue.names().length + " queued, last error: " + state;
    if (!/[{][{]value[}][}]/.test(r.body)) src = { name: r.name, subject: r.subject, body: r.body + (r.format == "html" ? "<p>{{value}}</p>" : "\n\n{{value}}"), format: r.format, to: r.to, digest: r.digest };
  }
  if (r.kind == "boot") value = state = fw.why;
  queueAlert(fw, src, value, state, r.kind == "analog" ? r.unit : "", count);
}

/**
 * Step: the watchdog, and this boot's clock: ms since boot, steady across the SNTP step (platform/timers.ts's
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

/** Step: the global `alertmail` object (console-api.ts), exposed, then the sketch's setup and loop. */
function openConsole(fw: Firmware) {
  const b = fw.b;
  const api: AlertmailConsole = {
    send: function (m) {
      const to = typeof m.to == "string" ? [m.to] : m.to || [];
      queueAlert(
        fw,
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
    millis: fw.up,
    status: function () {
      const t = b.now();
      const n = fw.queue.notes;
      const sender = fw.sender;
      const states = fw.rules.states;
      const r: { [k: string]: string } = {};
      Object.keys(states).forEach(function (k) {
        const st = states[k];
        r[k] = st.result + (st.count ? " (+" + st.count + " held back)" : "");
      });
      return {
        wifi: fw.link.up ? "up " + fw.link.ip : "down",
        clock: formatTime(t, tzOf(fw.cfg)),
        outbox: {
          queued: fw.queue.names().length,
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
      queueAlert(fw, { name: "test", subject: "{{device}}: test mail", body: "Test mail from {{device}} ({{ip}}) at {{time}}.", format: "text" }, "", "test", "", 1);
      fw.sender.kick();
    },
    fire: function (name) {
      if (!fw.rules.fire(name)) b.log('no rule named "' + name + '"');
    },
  };
  b.expose(api);
  b.sketch.setup(api);
  const loop = b.sketch.loop;
  if (loop && fw.cfg.sketch.loopMs > 0) {
    every(b.timers, fw.cfg.sketch.loopMs, function () {
      loop(api);
    });
  }
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
