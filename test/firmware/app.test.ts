// The whole firmware on fakes: boot, outbox persistence, retries, permanent refusals, full outbox, damage, reboot.
import { simpleParser } from "mailparser";
import { formatTime } from "../../src/clock.ts";
import { describe, expect, test } from "vitest";
import { openQueue } from "../../src/outbox/queue.ts";
import { addAlert, bodyOf, crc32, fakeStore } from "./fakes.ts";
import { bootFirmware, testConfig } from "./harness.ts";

/** Header block of a raw message. */
const headers = (raw: string) => raw.slice(0, raw.indexOf("\r\n\r\n"));

describe("boot", () => {
  test("says ready once the configuration is loaded and rules are armed, before WiFi is up", () => {
    const b = bootFirmware();
    expect(b.log).toContain("ready");
    expect(b.pins.watchers.map((w) => w.pin)).toEqual(["D4"]);
    expect(b.wifi.state.connects).toBe(1);
    expect(b.watchdog).toEqual([30]);
    b.clock.advance(10_000);
    expect(b.watchdog.filter((w) => w === 0).length).toBe(2);
  });

  test("without a configuration it says so and waits: no rules, no WiFi, no watchdog", () => {
    const b = bootFirmware({ config: null });
    expect(b.log).toEqual([expect.stringMatching(/^no configuration/)]);
    expect(b.wifi.state.connects).toBe(0);
    expect(b.watchdog).toEqual([]);
  });

  test("a broken configuration file is reported, never a crash", () => {
    expect(bootFirmware({ config: '{"device": {' }).log).toEqual([expect.stringMatching(/^bad configuration \(SyntaxError: .*\): run `npm run flash`$/)]);
    const b = bootFirmware({ config: '{"device": {}}' });
    expect(b.log).toEqual([expect.stringMatching(/^bad configuration \(TypeError: /)]);
    expect(b.wifi.state.connects).toBe(0);
  });

  test("TLS configured on a build without TLS names the firmware to flash", () => {
    const b = bootFirmware({ hasTls: false });
    expect(b.log).toEqual(["no TLS: flash the ESP32 build, not ESP32_IDF4"]);
    expect(bootFirmware({ hasTls: false, config: testConfig((c) => (c.smtp.security = "plain")) }).log).toContain("ready");
  });
});

describe("outbox", () => {
  test("an alert is in Storage before any attempt and erased after the 250", () => {
    const b = bootFirmware();
    b.clock.advance(1000); // WiFi up
    b.pins.edge("D4", true);
    expect(b.queued()).toBe(1);
    expect(b.smtp.connections).toEqual([]);
    b.clock.advance(2000); // coalescing window
    expect(b.smtp.connections).toEqual([1]);
    expect(b.queued()).toBe(1);
    b.clock.advance(100);
    expect(b.smtp.delivered).toHaveLength(1);
    expect(b.queued()).toBe(0);
    expect(b.log).toContain('sent "Garage: door high" to 2 recipient(s): 250 2.0.0 Ok: queued');
  });

  test("a rule's recipients override smtp.to; Cc and Bcc still apply", async () => {
    const b = bootFirmware({
      config: testConfig((c) => {
        c.alerts[0].to = [{ name: "Neighbour", address: "neighbour@example.com" }];
        c.smtp.cc = [{ name: "", address: "cc@example.com" }];
      }),
    });
    b.clock.advance(1000);
    b.api.fire("door");
    b.clock.advance(3000);
    const m = b.smtp.delivered[0];
    expect(m.to).toEqual(["neighbour@example.com", "cc@example.com", "archive@example.com"]);
    const parsed = await simpleParser(Buffer.from(m.raw, "latin1"));
    expect(parsed.to).toMatchObject({ value: [{ address: "neighbour@example.com", name: "Neighbour" }] });
    expect(parsed.cc).toMatchObject({ value: [{ address: "cc@example.com" }] });
  });

  test("Bcc goes to the envelope only", () => {
    const b = bootFirmware();
    b.clock.advance(1000);
    b.api.fire("door");
    b.clock.advance(3000);
    const m = b.smtp.delivered[0];
    expect(m.to).toEqual(["owner@example.com", "archive@example.com"]);
    expect(headers(m.raw)).not.toMatch(/archive@/);
  });

  test("451 then 250 delivers once, after a backoff", () => {
    const b = bootFirmware();
    b.smtp.script.push("451");
    b.clock.advance(1000);
    b.api.fire("door");
    b.clock.advance(3000);
    expect(b.smtp.delivered).toHaveLength(0);
    expect(b.log.some((l) => /^failed "Garage: door \w+": 451/.test(l))).toBe(true);
    expect(b.queued()).toBe(1);
    b.clock.advance(30_000); // backoff 15..30 s
    expect(b.smtp.delivered).toHaveLength(1);
    expect(b.queued()).toBe(0);
    b.clock.advance(3_600_000);
    expect(b.smtp.delivered).toHaveLength(1);
  });

  test("transient failures back off exponentially up to the maximum, forever", () => {
    const b = bootFirmware();
    b.smtp.script.push(...Array(12).fill("drop"));
    b.clock.advance(1000);
    b.api.fire("door");
    b.clock.advance(3000);
    const t0 = b.clock.now();
    b.clock.advance(10 * 3_600_000);
    expect(b.smtp.delivered).toHaveLength(1);
    // with jitter 0.5: 22.5, 45, 90 … s capped at 2700 s (3/4 of 3600): 13 tries fit in well under 10 h
    expect(b.smtp.connections.length).toBe(13);
    expect(b.log.filter((l) => l.startsWith("retry in ")).map((l) => +l.split(" ")[2])).toEqual([23, 45, 90, 180, 360, 720, 1440, 2700, 2700, 2700, 2700, 2700]);
    expect(b.clock.now() - t0).toBe(10 * 3_600_000);
  });

  test("a new alert is tried within the coalescing window while older ones back off, once per alert", () => {
    const b = bootFirmware();
    b.smtp.script.push("drop", "drop", "drop");
    b.clock.advance(1000);
    b.api.send({ subject: "one", text: "x" });
    b.clock.advance(2100);
    b.clock.advance(22_500); // first retry after 22.5 s (jitter 0.5)
    expect(b.smtp.connections).toEqual([1, 1]);
    expect(b.log.filter((l) => l.startsWith("retry in "))).toEqual(["retry in 23 s", "retry in 45 s"]);
    b.clock.advance(1000);
    b.api.send({ subject: "two", text: "x" });
    b.clock.advance(2100); // the coalescing window, not the 45 s backoff
    expect(b.smtp.connections).toEqual([1, 1, 2]);
    expect(b.log[b.log.length - 1]).toBe("retry in 90 s");
    b.clock.advance(89_000); // no faster loop: the next try is the backoff's
    expect(b.smtp.connections).toEqual([1, 1, 2]);
    b.clock.advance(1_000);
    expect(b.smtp.connections).toEqual([1, 1, 2, 2]);
    expect(b.smtp.delivered.map((m) => /Subject: (.*)/.exec(m.raw)![1])).toEqual(["one", "two"]);
  });

  test("an alert raised while a send runs joins its session; when that session fails both are retried, nothing lost, nothing twice", () => {
    const b = bootFirmware();
    b.smtp.script.push("drop");
    b.clock.advance(1000);
    b.api.send({ subject: "one", text: "x" });
    b.clock.advance(2010); // in flight: the fake answers after 50 ms
    expect(b.smtp.connections).toEqual([1]);
    b.api.send({ subject: "two", text: "x" });
    expect(b.smtp.connections).toEqual([2]);
    b.clock.advance(100);
    expect(b.log[b.log.length - 1]).toBe("retry in 23 s");
    b.clock.advance(23_000);
    expect(b.smtp.connections).toEqual([2, 2]);
    expect(b.smtp.delivered.map((m) => /Subject: (.*)/.exec(m.raw)![1])).toEqual(["one", "two"]);
    b.clock.advance(3_600_000);
    expect(b.smtp.delivered).toHaveLength(2);
    expect(b.queued()).toBe(0);
  });

  test("a 550 is kept as a note and reported in the next successful mail, then forgotten", () => {
    const b = bootFirmware();
    b.smtp.script.push("550");
    b.clock.advance(1000);
    b.api.fire("door");
    b.clock.advance(3000);
    expect(b.log.some((l) => /failed "Garage: door \w+" permanently: 550 5.7.1 rejected/.test(l))).toBe(true);
    expect(b.queued()).toBe(0);
    expect(b.api.status()).toMatchObject({ outbox: { refused: ['"Garage: door low": 550 5.7.1 rejected'] } });
    b.api.send({ subject: "next", text: "hello" });
    b.clock.advance(3000);
    b.api.send({ subject: "after", text: "hello" });
    b.clock.advance(3000);
    expect(b.smtp.delivered).toHaveLength(2);
    expect(b.smtp.delivered[0].raw).toContain('Refused: "Garage: door low": 550 5.7.1 rejected');
    expect(b.smtp.delivered[1].raw).not.toContain("Refused");
  });

  test("a recipient refused with 4xx while another accepted gets the same mail later, alone; a 5xx one is reported", async () => {
    const b = bootFirmware({ config: testConfig((c) => (c.smtp.cc = [{ name: "", address: "gone@example.com" }])) });
    b.smtp.refuse["archive@example.com"] = "450 4.2.1 mailbox busy";
    b.smtp.refuse["gone@example.com"] = "550 5.1.1 no such user";
    b.clock.advance(1000);
    b.api.fire("door");
    b.clock.advance(3000);
    expect(b.smtp.delivered.map((m) => m.to)).toEqual([["owner@example.com"]]);
    expect(b.log).toContain('sent "Garage: door low" to 1 recipient(s): 250 2.0.0 Ok: queued');
    expect(b.queued()).toBe(1);
    expect(b.api.status()).toMatchObject({ outbox: { refused: ['gone@example.com for "Garage: door low": 550 5.1.1 no such user'] } });
    delete b.smtp.refuse["archive@example.com"];
    b.clock.advance(30_000); // backoff 15..30 s
    expect(b.smtp.delivered.map((m) => m.to)).toEqual([["owner@example.com"], ["archive@example.com"]]);
    expect(b.queued()).toBe(0);
    const [first, again] = await Promise.all(b.smtp.delivered.map((m) => simpleParser(Buffer.from(m.raw, "latin1"))));
    expect(again.messageId).toBe(first.messageId);
    expect(headers(again.headerLines.map((h) => h.line).join("\r\n") + "\r\n\r\n")).toBe(headers(first.headerLines.map((h) => h.line).join("\r\n") + "\r\n\r\n"));
    expect(again.subject).toBe("Garage: door low");
    expect(again.text).toContain('Refused: gone@example.com for "Garage: door low": 550 5.1.1 no such user');
    b.clock.advance(3_600_000);
    expect(b.smtp.delivered).toHaveLength(2);
  });

  test("an authentication failure keeps every alert for later", () => {
    const b = bootFirmware();
    b.smtp.script.push("535");
    b.clock.advance(1000);
    b.api.fire("door");
    b.clock.advance(3000);
    expect(b.queued()).toBe(1);
    expect(b.api.status()).toMatchObject({ outbox: { lastError: "535 5.7.8 bad credentials" } });
    b.clock.advance(60_000);
    expect(b.smtp.delivered).toHaveLength(1);
  });

  test("a full outbox drops the oldest and the next mail says how many", () => {
    const b = bootFirmware({ config: testConfig((c) => (c.outbox.max = 3)) });
    b.wifi.state.reachable = false;
    for (let i = 0; i < 5; i++) b.api.send({ subject: "alert " + i, text: "x" });
    expect(b.queued()).toBe(3);
    b.wifi.state.reachable = true;
    b.clock.advance(60_000);
    expect(b.smtp.delivered.map((m) => /Subject: (.*)/.exec(m.raw)![1])).toEqual(["alert 2", "alert 3", "alert 4"]);
    expect(b.smtp.delivered[0].raw).toContain("2 alert(s) dropped: outbox full");
    expect(b.smtp.delivered[1].raw).not.toContain("dropped");
  });

  test("an alert raised into a full outbox while a batch is sent drops none of that batch: all delivered, none counted dropped", () => {
    const b = bootFirmware({ config: testConfig((c) => (c.outbox.max = 3)) });
    b.wifi.state.reachable = false;
    for (let i = 0; i < 3; i++) b.api.send({ subject: "alert " + i, text: "x" });
    b.wifi.state.reachable = true;
    while (!b.smtp.connections.length) b.clock.advance(100);
    expect(b.smtp.connections).toEqual([3]); // in flight: the fake answers 50 ms later
    b.api.send({ subject: "alert 3", text: "x" });
    expect(b.queued()).toBe(4);
    b.clock.advance(60_000);
    expect(b.smtp.delivered.map((m) => /Subject: (.*)/.exec(m.raw)![1])).toEqual(["alert 0", "alert 1", "alert 2", "alert 3"]);
    expect(b.smtp.delivered.some((m) => m.raw.includes("dropped"))).toBe(false);
    expect((b.api.status() as any).outbox).toMatchObject({ queued: 0, dropped: 0, sent: 4 });
  });

  test("a reboot with N alerts queued delivers all N after boot", () => {
    const store = fakeStore();
    const first = bootFirmware({ store });
    first.wifi.state.reachable = false;
    for (let i = 0; i < 7; i++) first.api.send({ subject: "queued " + i, text: "x" });
    first.clock.advance(10_000);
    expect(first.smtp.connections).toEqual([]);
    const second = bootFirmware({ store });
    second.clock.advance(10_000);
    expect(second.smtp.delivered.map((m) => /Subject: (.*)/.exec(m.raw)![1])).toEqual(Array.from({ length: 7 }, (_, i) => "queued " + i));
    expect(second.smtp.connections).toEqual([5, 2]);
    expect(second.queued()).toBe(0);
  });

  test("a corrupted outbox file: boot continues, the rest is sent and the damage reported", () => {
    const store = fakeStore();
    const q = openQueue(store, 20, crc32);
    const a = addAlert(q, { r: "", s: "good one", b: "x", h: 0, at: 1, id: "1@x", k: 0 });
    const bad = addAlert(q, { r: "", s: "torn one", b: "x", h: 0, at: 1, id: "2@x", k: 0 });
    store.files[bad] = store.files[bad].slice(0, 17);
    store.files.amq77 = "\xff\xff\xff\xff";
    const b = bootFirmware({ store });
    expect(b.log).toContain("ready");
    b.clock.advance(5000);
    expect(b.smtp.delivered).toHaveLength(1);
    expect(b.smtp.delivered[0].raw).toContain("good one");
    expect(b.smtp.delivered[0].raw).toContain("2 damaged record(s) skipped");
    expect(store.files[a]).toBeUndefined();
    expect(b.queued()).toBe(0);
  });

  test("a connection lost mid-send is retried when WiFi comes back, delivered once", () => {
    const b = bootFirmware();
    b.smtp.script.push("drop");
    b.clock.advance(1000);
    b.api.fire("door");
    b.clock.advance(2000);
    b.wifi.drop();
    b.clock.advance(100);
    expect(b.smtp.delivered).toHaveLength(0);
    b.clock.advance(5000);
    b.wifi.state.reachable = true;
    b.clock.advance(10_000);
    expect(b.smtp.delivered).toHaveLength(1);
    b.clock.advance(3_600_000);
    expect(b.smtp.delivered).toHaveLength(1);
  });

  test("alerts within the coalescing window go over one connection", () => {
    const b = bootFirmware();
    b.clock.advance(1000);
    b.api.send({ subject: "one", text: "x" });
    b.clock.advance(500);
    b.api.send({ subject: "two", text: "x" });
    b.api.send({ subject: "three", text: "x" });
    b.clock.advance(5000);
    expect(b.smtp.connections).toEqual([3]);
  });

  test("alerts raised while a send runs join the open session", () => {
    const b = bootFirmware();
    b.clock.advance(1000);
    b.api.send({ subject: "one", text: "x" });
    b.clock.advance(2010); // sending
    b.api.send({ subject: "two", text: "x" });
    b.api.send({ subject: "three", text: "x" });
    b.clock.advance(5000);
    expect(b.smtp.connections).toEqual([3]);
    expect(b.smtp.delivered.map((m) => /Subject: (.*)/.exec(m.raw)![1])).toEqual(["one", "two", "three"]);
  });

  test("big alerts go in one session: no body is read whole from Storage, and few Storage operations per alert", () => {
    const store = fakeStore();
    const b = bootFirmware({ store });
    b.clock.advance(1000);
    const reads: number[] = [];
    const read = store.read;
    store.read = (n, o, l) => {
      const r = read(n, o, l);
      if (n.startsWith("amq")) reads.push(r ? r.length : 0);
      return r;
    };
    const writes = store.writes.length;
    for (let i = 0; i < 4; i++) b.api.send({ subject: "big " + i, html: "<p>" + "x".repeat(20_000) + "</p>" });
    b.clock.advance(10_000);
    expect(b.smtp.connections).toEqual([4]);
    expect(b.smtp.delivered).toHaveLength(4);
    expect(Math.max(...reads)).toBeLessThanOrEqual(1024);
    // Per alert: 2 writes (header, body in place) and 1 erase; reads: the header, the checksum pass (1 KB
    // each) and two passes of the body (HTML and its text alternative, 512 B each: less held while sending).
    expect(store.writes.length - writes).toBe(8);
    expect(reads.length / 4).toBeLessThanOrEqual(1 + 21 + 2 * 40);
  });

  test("a full flash is reported, not a crash; the rules keep working", () => {
    const store = fakeStore();
    const b = bootFirmware({ store });
    const write = store.write;
    store.write = (n, d) => {
      if (n.startsWith("amq")) throw new Error("Not enough free space");
      write(n, d);
    };
    b.api.send({ subject: "lost", text: "x" });
    expect(b.log).toContain('could not store "lost": Error: Not enough free space');
    store.write = write;
    b.clock.advance(1000);
    b.pins.edge("D4", false);
    b.clock.advance(5000);
    expect(b.smtp.delivered).toHaveLength(1);
    expect(b.smtp.delivered[0].raw).toContain("1 alert(s) dropped");
  });

  test("a digest rule folds its alerts into one mail", () => {
    const b = bootFirmware({ config: testConfig((c) => (c.alerts[0].digest = true)) });
    b.clock.advance(1000);
    b.pins.edge("D4", true);
    b.pins.edge("D4", false);
    b.pins.edge("D4", true);
    b.clock.advance(5000);
    expect(b.smtp.delivered).toHaveLength(1);
    const raw = b.smtp.delivered[0].raw;
    expect(raw).toContain("Subject: Garage: door high (+2 more)");
    expect(raw.match(/The door is/g)).toHaveLength(3);
    expect(b.queued()).toBe(0);
  });

  test("no connection is tried while memory is low; it waits and says so", () => {
    let free = 100;
    const b = bootFirmware({ freeVars: () => free });
    b.clock.advance(1000);
    b.api.fire("door");
    b.clock.advance(30_000);
    expect(b.smtp.connections).toEqual([]);
    expect(b.log).toContain("low memory, waiting: 100 variables free");
    free = 2000;
    b.clock.advance(10_000);
    expect(b.smtp.delivered).toHaveLength(1);
  });
});

describe("messages", () => {
  test("an alert raised before the clock is set waits for SNTP, then goes with a true Date and a true {{time}}", async () => {
    const b = bootFirmware({ start: 5000 }); // the board counts from 1970 until SNTP sets the clock
    b.clock.advance(1000);
    b.api.test(); // raised at 6,000 ms after 1970, i.e. 1 s after boot
    b.clock.advance(3000);
    expect(b.smtp.delivered).toHaveLength(0); // waiting for the clock, not sending "clock not set"
    const real = 1_750_000_000_000;
    b.clock.sntp(real - b.clock.now()); // SNTP: 4 s after the alert
    b.clock.advance(2000);
    expect(b.smtp.delivered).toHaveLength(1);
    const parsed = await simpleParser(Buffer.from(b.smtp.delivered[0].raw, "latin1"));
    expect(parsed.date!.getTime()).toBe(Math.floor((real - 3000) / 1000) * 1000);
    expect(parsed.text).not.toMatch(/clock not set/);
    expect(parsed.text).toContain(formatTime(real - 3000, 60));
  });

  test("if SNTP never answers the alert still goes, saying how long after boot it happened", async () => {
    const b = bootFirmware({ start: 5000 });
    b.clock.advance(1000);
    b.api.test();
    b.clock.advance(120_000);
    expect(b.smtp.delivered).toHaveLength(1);
    expect(headers(b.smtp.delivered[0].raw)).not.toMatch(/^Date:/im);
    const parsed = await simpleParser(Buffer.from(b.smtp.delivered[0].raw, "latin1"));
    expect(parsed.text).toContain("clock not set, 1 s after boot");
  });

  test("Message-IDs differ between messages and stay the same on a resend", () => {
    const b = bootFirmware();
    b.smtp.script.push("451");
    b.clock.advance(1000);
    b.api.send({ subject: "a", text: "x" });
    b.clock.advance(100);
    b.api.send({ subject: "b", text: "x" });
    b.clock.advance(3_600_000);
    const id = (raw: string) => /Message-ID: <(.*)>/i.exec(raw)![1];
    const subject = (raw: string) => /^Subject: (.*)$/im.exec(raw)![1];
    // The first attempt at "a" got the 451; its resend must carry the same ID (RFC 5322 §3.6.4).
    const failed = b.smtp.attempts.filter((a) => a.reply === "451");
    expect(failed.map((a) => subject(a.raw))).toEqual(["a"]);
    const ids = b.smtp.delivered.map((m) => id(m.raw));
    expect(b.smtp.delivered.map((m) => subject(m.raw)).sort()).toEqual(["a", "b"]);
    const resent = b.smtp.delivered.find((m) => subject(m.raw) === "a")!;
    expect(id(resent.raw)).toBe(id(failed[0].raw));
    expect(new Set(ids).size).toBe(2);
    expect(ids.every((x) => x.endsWith("@garage.local"))).toBe(true);
  });

  test("hostile values: escaped in HTML, and no header line from a CR/LF", async () => {
    const b = bootFirmware({ config: testConfig((c) => (c.device.name = 'Ga<b>r</b>age & "Co"')) });
    b.clock.advance(1000);
    b.pins.analog.D34 = 0.5;
    b.clock.advance(1000);
    b.api.send({ subject: "x\r\nBcc: victim@example.com\r\nX-Evil: 1", text: "body" });
    b.clock.advance(5000);
    const [html, text] = b.smtp.delivered.map((m) => m.raw);
    const parsed = await simpleParser(Buffer.from(html, "latin1"));
    expect(parsed.html).not.toContain("<b>r</b>age");
    expect(parsed.html).toContain("Ga&#60;b&#62;r&#60;/b&#62;age &#38; &#34;Co&#34;"); // & < > " as numeric references
    expect(parsed.subject).toBe('Ga<b>r</b>age & "Co": freezer at 0 °C');
    expect(headers(text)).not.toMatch(/^(Bcc|X-Evil):/im);
    expect((await simpleParser(Buffer.from(text, "latin1"))).subject).toBe("x Bcc: victim@example.com X-Evil: 1");
    expect(b.smtp.delivered[1].to).not.toContain("victim@example.com");
  });

  test("status() reports WiFi, clock, outbox, rules and memory", () => {
    const b = bootFirmware();
    b.clock.advance(1000);
    b.pins.edge("D4", true);
    const s = b.api.status() as any;
    expect(s).toMatchObject({ wifi: "up 192.168.1.50", outbox: { queued: 1, sent: 0 }, rules: { door: "raised high", freezer: "idle" }, memory: { free: 2000 } });
    expect(s.clock).toMatch(/^\w\w\w, \d+ \w\w\w 20\d\d /);
    b.clock.advance(5000);
    expect((b.api.status() as any).rules.door).toBe('sent "Garage: door high" to 2 recipient(s): 250 2.0.0 Ok: queued');
  });

  test("limits and uptime survive SNTP stepping the clock from 1970 to today", () => {
    const b = bootFirmware({ start: 5000, config: testConfig((c) => (c.alerts[0].maxPerHour = 1)) });
    b.clock.advance(1000);
    b.pins.edge("D4", false);
    b.clock.advance(3000);
    b.clock.jump(1_750_000_000_000);
    b.clock.advance(1000);
    b.pins.edge("D4", true);
    b.clock.advance(10_000);
    expect(b.smtp.delivered).toHaveLength(1);
    expect((b.api.status() as any).rules.door).toBe("held: max per hour (+1 held back)");
  });

  test("a heartbeat reports uptime, alerts sent, queue and last error, even when its template leaves them out", () => {
    const b = bootFirmware({
      config: testConfig((c) => {
        c.alerts.push({ name: "daily", kind: "heartbeat", everyHours: 24, subject: "{{device}} is alive", body: "{{count}} alerts sent.", format: "text", cooldownSeconds: 0, maxPerHour: 0, to: [], digest: false });
      }),
    });
    b.smtp.script.push("451");
    b.clock.advance(1000);
    b.api.send({ subject: "one", text: "x" });
    b.clock.advance(24 * 3_600_000 + 5000);
    const beat = b.smtp.delivered.find((m) => m.raw.includes("Subject: Garage is alive"))!;
    expect(beat.raw).toContain("1 alerts sent.\r\n\r\nup 24 h 0 min, 1 sent, 0 queued, last error: 451 4.3.0 try later");
  });

  test("the sketch's setup runs once after the rules are armed, its loop every sketch.loopMs", () => {
    const calls: string[] = [];
    const b = bootFirmware({
      config: testConfig((c) => (c.sketch.loopMs = 1000)),
      sketch: {
        setup: (api) => calls.push("setup " + typeof api.send),
        loop: (api) => {
          calls.push("loop " + api.millis());
          if (calls.length === 3) api.send({ subject: "from the sketch", text: "x" });
        },
      },
    });
    expect(calls).toEqual(["setup function"]);
    expect(b.log.indexOf("ready")).toBeGreaterThan(-1);
    b.clock.advance(5500);
    expect(calls).toEqual(["setup function", "loop 1000", "loop 2000", "loop 3000", "loop 4000", "loop 5000"]);
    expect(b.smtp.delivered.map((m) => /Subject: (.*)/.exec(m.raw)![1])).toEqual(["from the sketch"]);
  });

  test("fire() of an unknown rule says so", () => {
    const b = bootFirmware();
    b.api.fire("nope");
    expect(b.log).toContain('no rule named "nope"');
  });
});
