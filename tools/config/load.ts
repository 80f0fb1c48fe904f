// Loads board.json (+ optional board.local.json overlay), resolves ${NAME} secrets, validates, fills defaults.
import type { DeviceConfig } from "../../src/config.ts";

export type LoadResult = { ok: true; config: DeviceConfig } | { ok: false; errors: string[] };

export function loadBoardConfig(
  opts: { file?: string; localFile?: string; env?: NodeJS.ProcessEnv } = {},
): LoadResult {
  void opts;
  return { ok: false, errors: ["loadBoardConfig: not implemented yet"] };
}
