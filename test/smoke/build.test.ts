import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { APP_JS } from "../../tools/build.ts";

test("the build writes one IIFE bundle", () => {
  const js = readFileSync(APP_JS, "latin1");
  expect(js.startsWith('"use strict";(()=>{')).toBe(true);
});
