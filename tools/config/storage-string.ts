// The exact text of Storage file CONFIG_FILE: compact JSON, non-ASCII left as raw characters so that,
// written as UTF-8 bytes, the board reads UTF-8 byte strings (a "\u00e9" escape would become ONE byte there).
import type { DeviceConfig } from "../../src/config.ts";

/** JSON of the config, no indentation. Write it with Buffer.from(s, "utf8"). */
export function configToStorageString(c: DeviceConfig): string {
  return JSON.stringify(c);
}
