// docs/sketch.md's example is real code: it compiles for the board and does what the page says.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { transformSync } from "esbuild";
import { expect, test } from "vitest";
import { ROOT } from "../../tools/build.ts";
import type { SketchApi } from "../../src/console-api.ts";

test("the pump example in docs/sketch.md warns after ten minutes and reports the stop", async () => {
  const md = readFileSync(join(ROOT, "docs", "sketch.md"), "utf8");
  const blocks = [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = blocks.find((b) => b.includes("LIMIT_MS"))!;
  // The same syntax limits as the firmware build (es2015, no destructuring, spread, async…).
  const js = transformSync(example, {
    loader: "ts",
    format: "esm",
    target: "es2015",
    supported: { destructuring: false, "default-argument": false, "rest-argument": false, "array-spread": false, "async-await": false, generator: false },
  }).code;
  const dir = join(ROOT, "test", ".tmp", "firmware");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `sketch-example-${process.pid}.mjs`);
  writeFileSync(file, js);
  const sketch = await import(file);

  let now = 0;
  let pinFn: (l: boolean) => void = () => {};
  const sent: { subject: string; text?: string; html?: string }[] = [];
  const api: SketchApi = {
    send: (m) => void sent.push(m),
    onPin: (pin, fn, o) => {
      expect([pin, o]).toEqual(["D5", { pull: "down", edge: "both", debounceMs: 200 }]);
      pinFn = fn;
    },
    digital: () => false,
    analog: () => 0,
    log: () => {},
    millis: () => now,
  };
  sketch.setup(api);
  pinFn(true);
  for (; now <= 11 * 60_000; now += 5000) sketch.loop(api);
  expect(sent.map((m) => m.subject)).toEqual(["{{device}}: pump running for 10 min"]);
  pinFn(false);
  expect(sent.map((m) => m.subject)).toEqual(["{{device}}: pump running for 10 min", "{{device}}: pump stopped after 11 min"]);
  pinFn(true);
  now += 60_000;
  sketch.loop(api);
  pinFn(false);
  expect(sent).toHaveLength(2);
});
