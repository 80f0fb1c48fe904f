// The global `alertmail` object (console-api.ts: status, test, fire, and the sketch API), then the sketch's setup and loop.
import { formatTime, tzOf } from "../clock.ts";
import type { AlertmailConsole } from "../console-api.ts";
import { every } from "../rules/every.ts";
import { queueAlert } from "./alert.ts";
import type { Firmware } from "./start.ts";

/** Boot step: the global `alertmail` object (console-api.ts), exposed, then the sketch's setup and loop. */
export function openConsole(fw: Firmware) {
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
      queueAlert(fw, { name: "test", subject: "{{device}}: test mail", body: "Test mail from {{device}} ({{ip}}) at {{time}}.", format: "text" }, "", "test", "", 1, true);
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
