// Fakes for the firmware's injected board facilities: a manual clock with timers, a Storage map, pins, WiFi, SMTP.
import { crc32 as zlibCrc32 } from "node:zlib";
import type { Store } from "../../src/platform/storage.ts";
import type { Timers } from "../../src/platform/timers.ts";
import type { Pins } from "../../src/platform/pins.ts";
import type { WifiModule } from "../../src/platform/wifi.ts";
import type { MailResult, OutgoingMail, SmtpClient, SmtpError } from "../../src/smtp/client.ts";

/** E.CRC32 as the board computes it: over the bytes of a byte string. */
export const crc32 = (s: string) => zlibCrc32(Buffer.from(s, "latin1"));

/** Timers on a manual clock: nothing runs until advance(). */
export function fakeClock(start = 1_750_000_000_000) {
  let t = start;
  let nextId = 1;
  const pending: { id: number; at: number; fn: () => void }[] = [];
  const timers: Timers = {
    set(fn, ms) {
      const id = nextId++;
      pending.push({ id, at: t + Math.max(0, ms), fn });
      return id;
    },
    clear(id) {
      const i = pending.findIndex((p) => p.id === id);
      if (i >= 0) pending.splice(i, 1);
    },
  };
  return {
    timers,
    now: () => t,
    pending: () => pending.length,
    /** Steps the wall clock without time passing (SNTP setting it); timers keep their due times in real time. */
    jump(ms: number) {
      t += ms;
      for (const p of pending) p.at += ms;
    },
    /**
     * Steps the wall clock the way Espruino sees SNTP set it: timers are kept as time remaining and
     * reduced by how far the clock moved (jsiIdle), so every pending timer is due at once and runs.
     */
    sntp(ms: number) {
      t += ms;
      this.advance(0);
    },
    /** Runs every timer due within ms, in time order, moving the clock along (never backwards). */
    advance(ms: number) {
      const end = t + ms;
      for (;;) {
        pending.sort((a, b) => a.at - b.at || a.id - b.id);
        const p = pending[0];
        if (!p || p.at > end) break;
        pending.shift();
        t = Math.max(t, p.at);
        p.fn();
      }
      t = end;
    },
  };
}

export function fakeStore(files: Record<string, string> = {}): Store & { files: Record<string, string>; writes: string[] } {
  const writes: string[] = [];
  return {
    files,
    writes,
    // Storage.read(name, offset, length) as jsfReadFile clips it (a length of 0 or less reads to the end).
    read(n, off?: number, len?: number) {
      const f = files[n];
      if (f === undefined || off === undefined) return f;
      const o = Math.min(Math.max(0, off), f.length);
      return f.slice(o, len === undefined || len <= 0 ? f.length : Math.min(f.length, o + len));
    },
    // Storage.write(name, data, offset, size): offset 0 with a size makes a file of size bytes (0xFF), then writes in place.
    write(n, d, off?: number, size?: number) {
      if (n.length > 28) throw new Error("name over 28 characters: " + n);
      writes.push(n);
      if (off === undefined) files[n] = d;
      else {
        const base = off === 0 && size !== undefined ? "\xff".repeat(size) : files[n];
        if (base === undefined || off + d.length > base.length) throw new Error("Too much data for file size");
        files[n] = base.slice(0, off) + d + base.slice(off + d.length);
      }
    },
    erase(n) {
      delete files[n];
    },
    list: (re) => Object.keys(files).filter((n) => re.test(n)),
  };
}

export function fakePins() {
  const watchers: { pin: string; pull: string; edge: string; debounceMs: number; fn: (l: boolean) => void }[] = [];
  const levels: Record<string, boolean> = {};
  const analog: Record<string, number> = {};
  const pins: Pins = {
    watch(pin, pull, edge, debounceMs, fn) {
      watchers.push({ pin, pull, edge, debounceMs, fn });
    },
    digital: (pin) => !!levels[pin],
    analog: (pin) => analog[pin] ?? 0,
  };
  return {
    pins,
    watchers,
    levels,
    analog,
    /** What setWatch would report after debouncing: one call per accepted edge. */
    edge(pin: string, level: boolean) {
      levels[pin] = level;
      watchers.filter((w) => w.pin === pin).forEach((w) => w.fn(level));
    },
  };
}

/** A WiFi that connects when `reachable`, and can drop. */
export function fakeWifi(timers: Timers) {
  const handlers: Record<string, ((d: any) => void)[]> = {};
  const state = { reachable: true, silent: false, connects: 0, sntp: [] as string[][], ip: "192.168.1.50" };
  const wifi: WifiModule = {
    connect(_ssid, _o, cb) {
      state.connects++;
      if (state.silent) return; // never calls back
      timers.set(() => {
        if (state.reachable) {
          (handlers.connected || []).forEach((f) => f({ ip: state.ip }));
          cb(null);
        } else cb("no AP");
      }, 100);
    },
    on(ev, fn) {
      (handlers[ev] ||= []).push(fn);
    },
    setSNTP(server, tz) {
      state.sntp.push([server, tz]);
    },
    getIP: () => ({ ip: state.ip }),
  };
  return {
    wifi,
    state,
    drop() {
      state.reachable = false;
      (handlers.disconnected || []).forEach((f) => f({ reason: "test" }));
    },
  };
}

export type Reply = "250" | "451" | "550" | "drop" | "535";

/** A scripted SMTP client: each mail gets the next reply from `script` (default 250); "drop" = connection lost. */
export function fakeSmtp(timers: Timers) {
  const script: Reply[] = [];
  const delivered: { to: string[]; raw: string }[] = [];
  /** Every message whose body was sent, with the reply it got ("250", "451", "550"), delivered or not. */
  const attempts: { reply: Reply; raw: string }[] = [];
  const connections: number[] = [];
  /** RCPT refusals for the mails answered "250": address → reply (e.g. "450 4.2.1 busy"). */
  const refuse: Record<string, string> = {};
  function err(code: SmtpError["code"], response: string, transient: boolean): SmtpError {
    const e = new Error(response) as SmtpError;
    e.code = code;
    e.response = response;
    e.responseCode = +response.slice(0, 3) || 0;
    e.command = "DATA";
    e.transient = transient;
    return e;
  }
  /** The batch sent now (before its replies come, 50 ms later, mails may join it: add()). */
  let open: OutgoingMail[] | null = null;
  const client: SmtpClient = {
    add(m) {
      if (!open) return false;
      open.push(m);
      connections[connections.length - 1]++;
      return true;
    },
    send(mails: OutgoingMail[], done) {
      connections.push(mails.length);
      mails = mails.slice();
      open = mails;
      timers.set(() => {
        open = null;
        const results: MailResult[] = [];
        for (const m of mails) {
          const r = script.shift() ?? "250";
          if (r === "drop") return done(err("ECONNECTION", "connection lost", true), results);
          if (r === "535") return done(err("EAUTH", "535 5.7.8 bad credentials", false), results);
          const src = m.body();
          let raw = "";
          for (let p = src(); p !== null; p = src()) raw += p;
          attempts.push({ reply: r, raw });
          if (r === "250") {
            const accepted = m.to.filter((a) => !refuse[a]);
            const rejected = m.to.filter((a) => refuse[a]).map((a) => ({ address: a, response: refuse[a] }));
            if (!accepted.length) {
              const e = err("EENVELOPE", rejected[0].response, rejected.some((x) => x.response < "5"));
              results.push({ accepted, rejected, response: rejected[0].response, error: e });
              continue;
            }
            delivered.push({ to: accepted, raw });
            results.push({ accepted, rejected, response: "250 2.0.0 Ok: queued", error: null });
          } else if (r === "451") {
            results.push({ accepted: [], rejected: [], response: "451 4.3.0 try later", error: err("EMESSAGE", "451 4.3.0 try later", true) });
          } else {
            results.push({ accepted: [], rejected: [], response: "550 5.7.1 rejected", error: err("EMESSAGE", "550 5.7.1 rejected", false) });
          }
        }
        done(null, results);
      }, 50);
    },
    close() {},
  };
  return { client, script, delivered, attempts, connections, refuse };
}

/** q.add with the body given inside the alert as `b` (as the tests write them). */
export function addAlert(q: import("../../src/outbox/queue.ts").Queue, a: Record<string, any>): string {
  const { b, ...head } = a;
  return q.add({ n: 0, ...head } as any, b ?? "");
}

/** A queued file's header read back the way the sender reads it (leased to a batch, then given back), or null. */
export function loadOf(q: import("../../src/outbox/queue.ts").Queue, name: string) {
  const batch = q.batch();
  const a = batch.lease(name);
  batch.close();
  return a;
}

/** The whole body of a queued file, read back the way the sender reads it (a piece at a time). */
export function bodyOf(q: import("../../src/outbox/queue.ts").Queue, name: string): string | null {
  const batch = q.batch();
  const a = batch.lease(name);
  if (!a) return null;
  const src = batch.body(name, a);
  let s = "";
  for (let p = src(); p !== null; p = src()) s += p;
  batch.close();
  return s;
}
