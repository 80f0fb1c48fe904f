// `npm start` with an api section in board.json: the provider's HTTPS mock answers, the firmware is pointed
// at it, and every alert of the shipped rules is delivered into the run's inbox (.eml files) like SMTP mails.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { main } from "../../host-sim/cli.ts";
import { ROOT } from "../../tools/build.ts";

const APP = join(ROOT, "firmware", "app.js");

it.skipIf(!existsSync(APP))("npm start -- --board <an api board>: 4 of 4 alert mails delivered through the postmark mock", async () => {
  const tmp = join(ROOT, "test", ".tmp", "api");
  mkdirSync(tmp, { recursive: true });
  const dir = mkdtempSync(join(tmp, "start-"));
  const board = JSON.parse(readFileSync(join(ROOT, "board.json"), "utf8"));
  delete board.$schema;
  delete board.$comment;
  board.smtp = { from: board.smtp.from, to: board.smtp.to };
  board.api = { provider: "postmark", key: "pm-start-key" };
  writeFileSync(join(dir, "board.json"), JSON.stringify(board));
  const lines: string[] = [];
  const code = await main(["--app", APP, "--board", join(dir, "board.json"), "--wait", "30", "--quiet"], (s = "") => void lines.push(s));
  const out = lines.join("\n");
  expect(out).toMatch(/embedded postmark API mock on https:\/\/127\.0\.0\.1:\d+\/email/);
  expect(out).toContain("Storage amapi.js");
  expect(out).toContain("── 4 of 4 alert mails delivered ──");
  expect(code).toBe(0);
  const runDir = /run folder (\S+)/.exec(out)![1];
  expect(readdirSync(join(ROOT, runDir, "mail")).filter((f) => f.endsWith(".eml"))).toHaveLength(4);
}, 120000);
