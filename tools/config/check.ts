// CLI: `npm run check [-- board.json]` (tools/config/check.ts) prints OK or every error; exit status 1 on errors.
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_BOARD_FILE, loadBoardConfig, localFileFor } from "./load.ts";
import { configToStorageString } from "./storage-string.ts";

export function checkBoardFile(file: string, env: NodeJS.ProcessEnv = process.env): { ok: boolean; lines: string[] } {
  const r = loadBoardConfig({ file, env });
  if (!r.ok) {
    return {
      ok: false,
      lines: [
        `${file}${existsSync(localFileFor(file)) ? ` + ${basename(localFileFor(file))}` : ""}: ${r.errors.length} error${r.errors.length === 1 ? "" : "s"}`,
        ...r.errors.map((e) => `  ${e}`),
      ],
    };
  }
  const bytes = Buffer.byteLength(configToStorageString(r.config), "utf8");
  return {
    ok: true,
    lines: [`${file}${existsSync(localFileFor(file)) ? ` + ${basename(localFileFor(file))}` : ""}: OK (${r.config.alerts.length} alert rules, timezone ${r.config.device.timezone}, ${bytes} bytes on the board)`],
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = resolve(process.argv[2] ?? DEFAULT_BOARD_FILE);
  const r = checkBoardFile(file);
  (r.ok ? console.log : console.error)(r.lines.join("\n"));
  process.exit(r.ok ? 0 : 1);
}
