// `npm start -- --web [PORT]`: the PORT is optional, a fixed one is taken, a wrong one is refused.
import { expect, test } from "vitest";
import { parseArgs } from "../../host-sim/cli.ts";
import { prepareWeb } from "../../host-sim/web/run.ts";

test("--web alone serves on any free port; --web PORT on that port; other options still follow", () => {
  expect(parseArgs(["--web"]).web).toBe(0);
  expect(parseArgs(["--web", "8025"]).web).toBe(8025);
  const o = parseArgs(["--web", "--quiet", "--board", "b.json"]);
  expect(o.web).toBe(0);
  expect(o.verbose).toBe(false);
  expect(o.board).toBe("b.json");
  expect(parseArgs([]).web).toBeUndefined();
});

test("--web with a port number out of range is refused with the reason", () => {
  expect(() => parseArgs(["--web", "70000"])).toThrow("--web PORT must be a TCP port number (0-65535), not 70000");
});

test("--web with --scenario or --interactive is refused: the page is the board's only driver", () => {
  expect(() => prepareWeb(parseArgs(["--web", "--scenario", "s.json"]))).toThrow("it does not also play --scenario or --interactive");
  expect(() => prepareWeb(parseArgs(["--web", "--interactive"]))).toThrow("it does not also play --scenario or --interactive");
});
