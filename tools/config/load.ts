// Loads board.json (+ the optional git-ignored board.local.json overlay), resolves ${NAME} secrets from the
// environment, validates everything at once and fills every default: the DeviceConfig the firmware reads.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { DeviceConfig } from "../../src/config.ts";
import { deepMerge, resolveSecrets } from "./secrets.ts";
import { validateBoard } from "./validate.ts";

export type LoadResult = { ok: true; config: DeviceConfig } | { ok: false; errors: string[] };

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DEFAULT_BOARD_FILE = join(REPO_ROOT, "board.json");

/** board.local.json next to the given board file. */
export function localFileFor(file: string): string {
  return join(dirname(file), "board.local.json");
}

/** Parses a JSON file, turning a syntax error into "file:line:column: message". */
export function readJsonFile(file: string): { ok: true; value: unknown } | { ok: false; error: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return { ok: false, error: `${file}: cannot read: ${(e as Error).message}` };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message);
    let where = "";
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split("\n").length;
      const column = before.length - before.lastIndexOf("\n");
      where = `:${line}:${column}`;
    }
    return { ok: false, error: `${file}${where}: not valid JSON: ${message}` };
  }
}

export function loadBoardConfig(
  opts: { file?: string; localFile?: string; env?: NodeJS.ProcessEnv; year?: number } = {},
): LoadResult {
  const file = resolve(opts.file ?? DEFAULT_BOARD_FILE);
  const base = readJsonFile(file);
  if (!base.ok) return { ok: false, errors: [base.error] };
  let merged = base.value;

  const localFile = opts.localFile ?? localFileFor(file);
  let localValue: unknown;
  if (existsSync(localFile)) {
    const local = readJsonFile(localFile);
    if (!local.ok) return { ok: false, errors: [local.error] };
    if (typeof local.value !== "object" || local.value === null || Array.isArray(local.value)) {
      return { ok: false, errors: [`${basename(localFile)}: expected an object overlaying board.json`] };
    }
    merged = deepMerge(merged, local.value);
    localValue = local.value;
  }

  const secrets = resolveSecrets(merged, opts.env ?? process.env);
  const result = validateBoard(secrets.value, {
    unresolved: secrets.unresolved,
    fromEnv: secrets.fromEnv,
    year: opts.year,
  });
  if (result.ok && secrets.errors.length === 0) return result;
  // Secret errors first: an unresolved ${NAME} often explains the rest.
  const errors = [...secrets.errors, ...(result.ok ? [] : result.errors)];
  const local = basename(localFile);
  return { ok: false, errors: localValue === undefined ? errors : errors.map((e) => (setBy(localValue, e) ? `${local}: ${e}` : e)) };
}

/** Whether the error's key path ("alerts[0].pin: …") holds a value the overlay wrote (it replaces arrays and scalars whole). */
function setBy(overlay: unknown, error: string): boolean {
  const m = /^([A-Za-z$][\w$]*(?:\.[\w$]+|\[\d+\])*): /.exec(error);
  if (!m) return false;
  let v = overlay;
  for (const seg of m[1].match(/[^.[\]]+/g) ?? []) {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return true;
    if (!Object.prototype.hasOwnProperty.call(v, seg)) return false;
    v = (v as Record<string, unknown>)[seg];
  }
  return true;
}
