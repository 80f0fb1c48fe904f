// What an alert is made of: a rule's trigger or a console call rendered (subject, body, {{time}} or TIME_MARK
// before SNTP, the body's transfer encoding) and persisted in the outbox, then handed to the sender.
import { clockSet, formatTime, TIME_MARK, tzOf } from "../clock.ts";
import type { AlertRule, Mailbox } from "../config.ts";
import { chooseEncoding } from "../mime/body.ts";
import { fillTemplate, oneLine } from "../template.ts";
import type { Firmware } from "./start.ts";

/** What an alert is made from: a rule, or alertmail.send/test. */
export type Source = { name: string; subject: string; body: string; format: string; to?: Mailbox[]; digest?: boolean };

/**
 * Renders and persists one alert (before any attempt to send it), then lets the sender take it. Before SNTP
 * has set the clock its {{time}} is TIME_MARK and its raise time is kept in ms since boot: the sender writes
 * the true time and Date when it sends (after SNTP). now: send at once, even with a coalescing window set.
 */
export function queueAlert(fw: Firmware, r: Source, value: string, state: string, unit: string, count: number, now?: boolean) {
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
  fw.sender.kick(!now);
}

/**
 * A rule's alert, raised: a heartbeat carries its status line ({{value}}: uptime, mails sent, queued, last
 * error), added to this mail's copy of its template when the template leaves {{value}} out (never to the
 * configuration's own); a boot rule carries why the board started.
 */
export function raiseRule(fw: Firmware, r: AlertRule, value: string, state: string, count: number) {
  let src: Source = r;
  if (r.kind == "heartbeat") {
    const sender = fw.sender;
    const m = Math.floor(fw.up() / 60000);
    state = sender.lastError || "no errors";
    count = sender.sent;
    value = "up " + Math.floor(m / 60) + " h " + (m % 60) + " min, " + count + " sent, " + fw.queue.names().length + " queued, last error: " + state;
    if (!/[{][{]value[}][}]/.test(r.body)) src = Object.assign({}, r, { body: r.body + (r.format == "html" ? "<p>{{value}}</p>" : "\n\n{{value}}") });
  }
  if (r.kind == "boot") value = state = fw.why;
  queueAlert(fw, src, value, state, r.kind == "analog" ? r.unit : "", count);
}
