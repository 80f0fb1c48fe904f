// Nothing lost (issue 17 defects 2-6, 8): a power cut at any Storage write or erase of a send, a torn
// record, a record of the wrong shape, a stray file, and huge refusal replies. Each run is cut, the
// board "reboots" on the same Storage, and the outbox drains: every recipient that did not answer 5xx
// gets the alert, every refusal is reported, no garbage is sent.
import { describe, expect, test } from "vitest";
import { NOTES_FILE, openQueue } from "../../src/outbox/queue.ts";
import { addAlert, bodyOf, crc32, fakeStore, loadOf } from "./fakes.ts";
import { bootFirmware, testConfig } from "./harness.ts";

const CUT = new Error("power cut");

/**
 * Storage that loses power at its n-th write or erase (1-based): nothing after it reaches the files. A
 * write cut leaves what the board leaves: a file of full length whose tail is 0xFF (Espruino writes the
 * header with the size first, then the data). The firmware may catch the throw; `dead` says it is over.
 */
function cutStore(files: Record<string, string>, n: number, torn: boolean) {
  const s = fakeStore(files);
  let ops = 0;
  const st = { dead: false, armed: false, onCut: () => {} };
  const write = s.write.bind(s);
  const erase = s.erase.bind(s);
  const op = () => {
    if (st.dead || (st.armed && ++ops === n)) {
      if (!st.dead) st.onCut();
      st.dead = true;
      throw CUT;
    }
  };
  s.write = (name, data, off?: number, size?: number) => {
    // Torn: the first half of this write's data reached the flash (the file itself has its full size).
    if (!st.dead && st.armed && ops + 1 === n && torn) write(name, data.slice(0, data.length >> 1), off ?? 0, off === undefined ? data.length : size);
    op();
    write(name, data, off, size);
  };
  s.erase = (name) => {
    op();
    erase(name);
  };
  return { store: s, st };
}

/** Runs fn's steps until the power is cut; what happened after the cut never happened. */
function runUntilCut(st: { dead: boolean }, steps: (() => void)[]) {
  for (const f of steps) {
    try {
      f();
    } catch (e) {
      if (e !== CUT) throw e;
    }
    if (st.dead) return;
  }
}

/** Boots on the files, raises one extra alert (so pending notes ride along), drains; returns the mails. */
function rebootAndDrain(files: Record<string, string>) {
  const b = bootFirmware({ store: fakeStore(files) });
  b.clock.advance(1000);
  b.api.send({ subject: "after reboot", text: "x" });
  for (let i = 0; i < 20 && b.queued(); i++) b.clock.advance(60_000);
  b.clock.advance(10_000);
  return b;
}

type Refusal = { archive?: string; message?: string };

/** One alert with `refusal`, cut at every op of the run; yields each outcome. */
function everyCut(refusal: Refusal, torn: boolean) {
  const outcomes: { cut: number; delivered: { to: string[]; raw: string }[]; after: ReturnType<typeof rebootAndDrain> }[] = [];
  // Counted from the first op after the alert is stored (a cut while storing it means it was never raised;
  // the torn-record test covers that).
  for (let n = 1; n < 40; n++) {
    const files: Record<string, string> = {};
    const c = cutStore(files, n, torn);
    const b = bootFirmware({ store: c.store });
    let before = -1;
    c.st.onCut = () => (before = b.smtp.delivered.length);
    if (refusal.archive) b.smtp.refuse["archive@example.com"] = refusal.archive;
    if (refusal.message) b.smtp.script.push("550");
    const steps = [() => b.clock.advance(1000), () => b.pins.edge("D4", true), () => (c.st.armed = true)];
    for (let t = 0; t < 100; t++) steps.push(() => b.clock.advance(50));
    runUntilCut(c.st, steps);
    const after = rebootAndDrain(files);
    const run1 = c.st.dead ? b.smtp.delivered.slice(0, before) : b.smtp.delivered;
    outcomes.push({ cut: c.st.dead ? n : 0, delivered: run1.concat(after.smtp.delivered), after });
    if (!c.st.dead) break;
  }
  return outcomes;
}
const gotDoor = (d: { to: string[]; raw: string }[], who: string) => d.some((m) => m.to.includes(who) && m.raw.includes("door high"));

describe("a power cut at any Storage write or erase of a send", () => {
  test.each([[false], [true]])("a recipient deferred with 4xx still gets the alert (torn write: %s)", (torn) => {
    const out = everyCut({ archive: "450 4.2.1 busy" }, torn);
    expect(out.length).toBeGreaterThan(3);
    for (const o of out) {
      expect({ cut: o.cut, owner: gotDoor(o.delivered, "owner@example.com"), archive: gotDoor(o.delivered, "archive@example.com") }).toEqual({ cut: o.cut, owner: true, archive: true });
      expect(o.delivered.every((m) => !m.raw.includes("\xff"))).toBe(true);
    }
  });

  test.each([[false], [true]])("a recipient refused with 5xx is reported (torn write: %s)", (torn) => {
    for (const o of everyCut({ archive: "550 5.1.1 no such user" }, torn)) {
      expect({ cut: o.cut, owner: gotDoor(o.delivered, "owner@example.com") }).toEqual({ cut: o.cut, owner: true });
      const reported = o.delivered.some((m) => m.raw.includes("archive@example.com for") && m.raw.includes("550 5.1.1"));
      expect({ cut: o.cut, reported: reported || gotDoor(o.after.smtp.delivered, "archive@example.com") }).toEqual({ cut: o.cut, reported: true });
    }
  });

  test.each([[false], [true]])("a message refused with 5xx is reported or sent again (torn write: %s)", (torn) => {
    for (const o of everyCut({ message: "550" }, torn)) {
      const reported = o.after.smtp.delivered.some((m) => m.raw.includes("Refused:") && m.raw.includes("door high"));
      expect({ cut: o.cut, ok: reported || gotDoor(o.after.smtp.delivered, "owner@example.com") }).toEqual({ cut: o.cut, ok: true });
    }
  });
});

describe("records that are not what they claim", () => {
  const alert = (s: string) => ({ r: "door", s, b: "body of " + s, h: 0, at: 1, id: s + "@x", k: 0 });

  test("a torn record (full length, 0xFF tail, as the board leaves it) is never sent: set aside and reported", () => {
    const store = fakeStore();
    const q = openQueue(store, 20, crc32);
    const name = addAlert(q, alert("one"));
    const whole = store.files[name];
    for (let cut = whole.indexOf("\n") + 1; cut < whole.length; cut++) {
      store.files[name] = whole.slice(0, cut) + "\xff".repeat(whole.length - cut);
      delete store.files[NOTES_FILE];
      const q2 = openQueue(store, 20, crc32);
      expect(loadOf(q2, name)).toBeNull();
      expect(q2.notes.c).toBe(1);
      expect(JSON.parse(store.files[NOTES_FILE]).c).toBe(1);
    }
  });

  test("a record with wrong-typed fields is set aside and reported; the others still go", () => {
    const store = fakeStore();
    const q = openQueue(store, 20, crc32);
    addAlert(q, alert("good"));
    // Written whole (right length and checksum), wrong shape: a string for a list, a number for a list, a string for a time.
    addAlert(q, { ...alert("bad1"), to: "owner@example.com" as any });
    addAlert(q, { ...alert("bad2"), e: 5 as any, at: "now" as any });
    const b = rebootAndDrain(store.files);
    expect(b.smtp.delivered.map((m) => m.raw.includes("body of good"))).toContain(true);
    expect(b.queued()).toBe(0);
    expect(b.smtp.delivered.some((m) => /2 damaged record/.test(m.raw))).toBe(true);
  });

  test("a file named like a record but not one (amq1x) is ignored; the sequence never becomes NaN", () => {
    const store = fakeStore({ amq1x: "hello", amq3: "" });
    const q = openQueue(store, 20, crc32);
    const a = addAlert(q, alert("a"));
    const b = addAlert(q, alert("b"));
    expect([a, b].every((n) => /^amq\d+$/.test(n))).toBe(true);
    expect(a).not.toBe(b);
    expect(store.files.amq1x).toBe("hello");
    expect(q.names()).not.toContain("amq1x");
  });
});

describe("refusal notes are bounded", () => {
  test("five 4 KB refusal replies keep only the code and first line of each, and few notes", () => {
    const b = bootFirmware();
    b.clock.advance(1000);
    const huge = (i: number) => "550-5.1.1 refused " + i + " " + "x".repeat(4000) + "\n550 5.1.1 more " + "y".repeat(100);
    for (let i = 0; i < 5; i++) {
      b.smtp.refuse["archive@example.com"] = huge(i);
      b.api.send({ subject: "s" + i + " " + "z".repeat(3000), text: "." });
      b.clock.advance(10_000);
    }
    const notes = b.store.files[NOTES_FILE];
    expect(notes.length).toBeLessThan(1500);
    delete b.smtp.refuse["archive@example.com"];
    b.api.send({ subject: "next", text: "." });
    b.clock.advance(10_000);
    const last = b.smtp.delivered[b.smtp.delivered.length - 1].raw;
    expect(last.length).toBeLessThan(4000);
    expect(last).toContain("550-5.1.1 refused 4");
  });
});

describe("RCPT 3xx", () => {
  test("a recipient answered 3xx is tried again later, not reported refused", () => {
    const b = bootFirmware({ config: testConfig() });
    b.clock.advance(1000);
    b.smtp.refuse["archive@example.com"] = "354 go ahead";
    b.pins.edge("D4", true);
    b.clock.advance(5000);
    delete b.smtp.refuse["archive@example.com"];
    for (let i = 0; i < 10 && b.queued(); i++) b.clock.advance(60_000);
    expect(gotDoor(b.smtp.delivered, "archive@example.com")).toBe(true);
    expect(b.store.files[NOTES_FILE] ?? "").not.toContain("archive");
  });
});

describe("the sender is never busy for good", () => {
  test("an exception thrown while a batch starts fails it as transient: the alert goes on a later try", () => {
    const b = bootFirmware();
    const send = b.smtp.client.send;
    let once = true;
    b.smtp.client.send = (mails, done) => {
      if (once) {
        once = false;
        throw new TypeError("boom");
      }
      send(mails, done);
    };
    b.clock.advance(1000);
    b.api.send({ subject: "survives", text: "x" });
    b.clock.advance(5000);
    expect(b.api.status()).toMatchObject({ outbox: { sending: false, queued: 1 } });
    b.clock.advance(60_000);
    expect(b.smtp.delivered.map((m) => /Subject: (.*)/.exec(m.raw)![1])).toEqual(["survives"]);
  });
});
