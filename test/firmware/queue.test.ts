// The outbox in Storage: one file per alert, oldest dropped when full, damaged records skipped and counted.
import { afterEach, expect, test, vi } from "vitest";
import { NOTES_FILE, openQueue } from "../../src/outbox/queue.ts";
import { addAlert, bodyOf, crc32, fakeStore, loadOf } from "./fakes.ts";

function alert(s: string) {
  return { r: "door", s, b: "body of " + s, h: 0, at: 1, id: s + "@x", k: 0 };
}

test("each alert is a file of its own, read back oldest first, names within 28 characters", () => {
  const store = fakeStore();
  const q = openQueue(store, 20, crc32);
  for (let i = 0; i < 12; i++) addAlert(q, alert("a" + i));
  const names = q.names();
  expect(names).toHaveLength(12);
  expect(names.every((n) => n.length <= 28)).toBe(true);
  expect(names.map((n) => loadOf(q, n)!.s)).toEqual(Array.from({ length: 12 }, (_, i) => "a" + i));
});

test("a reopened queue continues the sequence after the files it finds", () => {
  const store = fakeStore();
  addAlert(openQueue(store, 20, crc32), alert("first"));
  const q = openQueue(store, 20, crc32);
  addAlert(q, alert("second"));
  expect(q.names().map((n) => loadOf(q, n)!.s)).toEqual(["first", "second"]);
});

test("when full the oldest is dropped and counted, and the count survives a reboot", () => {
  const store = fakeStore();
  const q = openQueue(store, 3, crc32);
  for (let i = 0; i < 5; i++) addAlert(q, alert("a" + i));
  expect(q.names().map((n) => loadOf(q, n)!.s)).toEqual(["a2", "a3", "a4"]);
  expect(q.notes.d).toBe(2);
  expect(openQueue(store, 3, crc32).notes.d).toBe(2);
});

test("a torn or corrupted record is skipped, erased and counted; the rest load", () => {
  const store = fakeStore();
  const q = openQueue(store, 20, crc32);
  const names = [addAlert(q, alert("one")), addAlert(q, alert("two")), addAlert(q, alert("three"))];
  store.files[names[0]] = store.files[names[0]].slice(0, 20); // power cut mid-write
  store.files[names[1]] = store.files[names[1]].replace("body of two", "body of tw\xff\xff\xff"); // bytes flipped
  const q2 = openQueue(store, 20, crc32);
  const loaded = q2.names().map((n) => loadOf(q2, n));
  expect(loaded.map((a) => a && a.s)).toEqual([null, null, "three"]);
  expect(q2.notes.c).toBe(2);
  expect(store.files[names[0]]).toBeUndefined();
  expect(JSON.parse(store.files[NOTES_FILE]).c).toBe(2);
});

test("a damaged notes file does not stop the queue and is itself counted", () => {
  const store = fakeStore({ [NOTES_FILE]: '{"d":3,' });
  const q = openQueue(store, 20, crc32);
  expect(q.notes).toEqual({ d: 0, c: 1, f: [] });
  addAlert(q, alert("x"));
  expect(q.names()).toHaveLength(1);
});

test("refusal notes keep only the newest few lines", () => {
  const q = openQueue(fakeStore(), 20, crc32);
  const batch = q.batch();
  for (let i = 0; i < 8; i++) batch.note("line " + i);
  expect(q.notes.f).toEqual(["line 3", "line 4", "line 5", "line 6", "line 7"]);
});

test("when full it never drops a file of the batch being sent: the oldest other one goes, or the outbox grows by that batch", () => {
  const store = fakeStore();
  const q = openQueue(store, 3, crc32);
  // Read through a second queue on the same Storage, so that reading opens no batch of q's.
  const subjects = () => {
    const r = openQueue(store, 3, crc32);
    return r.names().map((n) => loadOf(r, n)!.s);
  };
  const names = [addAlert(q, alert("a0")), addAlert(q, alert("a1")), addAlert(q, alert("a2"))];
  const batch = q.batch();
  expect(batch.lease(names[0])!.s).toBe("a0");
  expect(batch.lease(names[1])!.s).toBe("a1");
  addAlert(q, alert("a3"));
  expect(subjects()).toEqual(["a0", "a1", "a3"]);
  expect(q.notes.d).toBe(1);
  // A file already leased is not leased twice: only a3 is leased now.
  expect(q.names().map((n) => (batch.lease(n) ?? { s: null }).s)).toEqual([null, null, "a3"]);
  addAlert(q, alert("a4"));
  expect(subjects()).toEqual(["a0", "a1", "a3", "a4"]);
  expect(q.notes.d).toBe(1);
  batch.close();
  addAlert(q, alert("a5"));
  expect(subjects()).toEqual(["a3", "a4", "a5"]);
  expect(q.notes.d).toBe(3);
});

test("a lease given back alone can be taken again; the others stay leased", () => {
  const q = openQueue(fakeStore(), 20, crc32);
  const names = [addAlert(q, alert("a0")), addAlert(q, alert("a1"))];
  const batch = q.batch();
  names.forEach(batch.lease);
  batch.release(names[0]);
  expect(batch.lease(names[0])!.s).toBe("a0");
  expect(batch.lease(names[1])).toBeNull();
});

test("a new batch ends the last one: its leases are given back", () => {
  const store = fakeStore();
  const q = openQueue(store, 2, crc32);
  const names = [addAlert(q, alert("a0")), addAlert(q, alert("a1"))];
  const old = q.batch();
  names.forEach(old.lease);
  const batch = q.batch();
  expect(batch.lease(names[0])!.s).toBe("a0");
  addAlert(q, alert("a2")); // full: a1 is no longer leased, so it is the one dropped
  expect(q.names()).toEqual([names[0], "amq3"]);
  expect(q.notes.d).toBe(1);
});

afterEach(() => vi.restoreAllMocks());

/** JSON.stringify as the board runs it: every byte ≥ 0x80 written as \u00XX (docs/espruino.md probe 342). */
function boardStringify() {
  const node = JSON.stringify;
  vi.spyOn(JSON, "stringify").mockImplementation(((v: unknown) =>
    node(v).replace(/[\x80-\xff]/g, (c) => "\\u00" + c.charCodeAt(0).toString(16))) as typeof JSON.stringify);
}

const utf8 = (s: string) => Buffer.from(s, "utf8").toString("latin1");

test("a 2 KB CJK alert costs about its own size in Storage, not 6× (the board's JSON.stringify escapes every non-ASCII byte)", () => {
  boardStringify();
  const store = fakeStore();
  const q = openQueue(store, 20, crc32);
  const body = utf8("温度センサーが異常値を検出しました。".repeat(40)).slice(0, 2040);
  const subject = utf8("冷凍庫の温度警報 à");
  const name = addAlert(q, { r: utf8("冷凍庫"), s: subject, b: body, h: 0, to: [{ name: utf8("Müller"), address: "m@example.com" }], at: 1, id: "x@y", k: 0 });
  expect(body.length).toBeGreaterThan(2000);
  expect(store.files[name].length).toBeLessThan(1.4 * body.length);
  const q2 = openQueue(store, 20, crc32);
  expect(loadOf(q2, name)).toMatchObject({ r: utf8("冷凍庫"), s: subject, to: [{ name: utf8("Müller") }] });
  expect(bodyOf(q2, name)).toBe(body);
});

test("a record cut anywhere (a power cut mid-write) is detected, whatever its bytes", () => {
  const store = fakeStore();
  const q = openQueue(store, 20, crc32);
  const name = addAlert(q, { r: "door", s: utf8("Tür offen"), b: utf8("Die Tür ist offen.\nZeile zwei — ende"), h: 0, at: 1, id: "x@y", k: 0 });
  const whole = store.files[name];
  for (let cut = 0; cut < whole.length; cut++) {
    store.files[name] = whole.slice(0, cut);
    const q2 = openQueue(store, 20, crc32);
    expect(loadOf(q2, name)).toBeNull();
    expect(q2.notes.c).toBe(1);
    store.files.amnotes = "{}";
  }
  store.files[name] = whole;
  expect(bodyOf(openQueue(store, 20, crc32), name)).toBe(utf8("Die Tür ist offen.\nZeile zwei — ende"));
});
