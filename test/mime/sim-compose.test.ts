// Done means: the real bundle (firmware/app.js) composes a multipart UTF-8 message inside the simulator,
// sent through its SMTP client to the embedded sink, that mailparser reads correctly.
import { readFileSync } from "node:fs";
import { afterEach, expect, test } from "vitest";
import { createSimBoard, type SimBoard } from "../../host-sim/board.ts";
import { startSmtpSink } from "../../host-sim/smtp-sink.ts";
import { APP_JS } from "../../tools/build.ts";
import { storageFiles } from "../../tools/flash/payload.ts";
import { testConfig } from "../firmware/harness.ts";
import { makeStorage } from "../sim/helpers.ts";
import { bytes, headerLines, mailboxes } from "./helpers.ts";

const USER = { user: "alarm", password: "s3cret" };
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

test("the firmware bundle in the simulator sends a multipart UTF-8 mail that mailparser reads correctly", async () => {
  const sink = await startSmtpSink({ users: [USER] });
  cleanup.push(() => sink.close());
  const cfg = testConfig((c) => {
    c.smtp.port = sink.port;
    c.smtp.user = USER.user;
    c.smtp.password = USER.password;
    c.smtp.timeoutSeconds = 10;
    c.smtp.from = { name: "Capteur « Été » 🔥", address: "alarm@example.com" };
    c.smtp.to = [{ name: "Zoë O'Brien, Jr.", address: "zoe@example.org" }];
    c.smtp.cc = [{ name: "李小龍", address: "lee@example.cn" }];
    c.outbox = { max: 20, retrySeconds: 1, maxRetrySeconds: 2, coalesceSeconds: 0.1 };
    c.alerts = [];
  });
  const files: Record<string, Buffer> = {};
  for (const f of storageFiles(readFileSync(APP_JS), cfg)) files[f.name] = f.data;
  const board: SimBoard = createSimBoard({ storageDir: makeStorage(files) });
  cleanup.push(() => board.stop());
  board.boot();
  await board.waitForOutput(/^alertmail: ready/, 15000);

  const subject = "Température élevée — 31,5 °C 🔥 警報 " + "très long ".repeat(12) + "fin";
  const html =
    '<h1>Alarme</h1><p>Cuisine : <b>31,5&nbsp;°C</b> &gt; 30.<br><a href="https://example.com/d?x=1&amp;y=2">Tableau</a></p>\n' +
    "<p>温度センサーが警報を出しました。</p>\n".repeat(60) +
    "<p>.dot line</p>\n<p>From here</p>\n";
  // The console takes bytes, like the board's: the code is handed over as UTF-8.
  board.eval(bytes(`alertmail.send(${JSON.stringify({ subject, html })})`));
  const [m] = await sink.waitForMessages(1, 20000);

  const p = m.parsed;
  expect(p.subject).toBe(subject);
  expect(mailboxes(p.from)).toEqual([{ name: "Capteur « Été » 🔥", address: "alarm@example.com" }]);
  expect(mailboxes(p.to)).toEqual([{ name: "Zoë O'Brien, Jr.", address: "zoe@example.org" }]);
  expect(mailboxes(p.cc)).toEqual([{ name: "李小龍", address: "lee@example.cn" }]);
  expect(p.headers.get("content-type")).toMatchObject({ value: "multipart/alternative" });
  expect(p.html).toBe(html);
  expect(p.text).toBe(
    "Alarme\n\nCuisine : 31,5 °C > 30.\nTableau (https://example.com/d?x=1&y=2)\n\n" +
      Array(60).fill("温度センサーが警報を出しました。").join("\n\n") +
      "\n\n.dot line\n\nFrom here",
  );
  expect(p.headers.get("auto-submitted")).toBe("auto-generated");
  expect(p.headers.has("bcc")).toBe(false);
  const raw = m.raw.toString("latin1");
  for (const line of raw.split("\r\n")) expect(line.length).toBeLessThanOrEqual(998);
  for (const line of headerLines(raw)) expect(line.length, line).toBeLessThanOrEqual(76);
  expect(board.errors).toEqual([]);
  expect(board.maxCallDepth).toBeLessThanOrEqual(25);
});
