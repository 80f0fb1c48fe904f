// Shared by the npm start tests: board.json variants in temp folders and main() with its output captured.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../host-sim/cli.ts";
import { APP_JS, ROOT } from "../../tools/build.ts";

export const TMP = join(ROOT, "test", ".tmp", "start");

/** board.json with some sections changed, written to a temp folder (no board.local.json there). */
export function boardVariant(change: (b: any) => void = () => {}): string {
  mkdirSync(TMP, { recursive: true });
  const b = JSON.parse(readFileSync(join(ROOT, "board.json"), "utf8"));
  b.$schema = join(ROOT, "board.schema.json");
  change(b);
  const file = join(mkdtempSync(join(TMP, "board-")), "board.json");
  writeFileSync(file, JSON.stringify(b, null, 2));
  return file;
}

/** A JSON file in a temp folder. */
export function jsonFile(name: string, value: unknown): string {
  mkdirSync(TMP, { recursive: true });
  const file = join(mkdtempSync(join(TMP, "file-")), name);
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  return file;
}

/** `npm start -- …args` in-process on the prebuilt firmware/app.js, quiet; the exit code and every line said. */
export async function start(args: string[]): Promise<{ code: number; lines: string[]; text: string }> {
  mkdirSync(TMP, { recursive: true });
  const lines: string[] = [];
  const code = await main(["--quiet", "--app", APP_JS, ...args], (l = "") => lines.push(l));
  return { code, lines, text: lines.join("\n") };
}
