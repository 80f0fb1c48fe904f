// The exact Storage files `npm run flash` writes (and the simulator's `npm start` installs): code and config.
import type { DeviceConfig } from "../../src/config.ts";
import { CONFIG_FILE } from "../../src/config.ts";
import { configToStorageString } from "../config/storage-string.ts";
import { apiModuleFiles } from "../api-module.ts";

/** Storage file the firmware runs from at boot; function bodies stay in flash (docs/espruino.md §3, §4). */
export const BOOT_FILE = ".bootcde";

export interface StorageFile {
  name: string;
  data: Buffer;
}

/** The config as the firmware reads it: JSON text, written as UTF-8 bytes (src/config.ts). */
export function configBytes(config: DeviceConfig): Buffer {
  return Buffer.from(configToStorageString(config), "utf8");
}

/**
 * Storage files for a full flash, in write order: config first, then the code, so a board that
 * reboots half-way never boots new code against an old config.
 */
export function storageFiles(appJs: Buffer, config: DeviceConfig): StorageFile[] {
  return [
    { name: CONFIG_FILE, data: configBytes(config) },
    // The API transport's own file, only when the configuration sends through an API (tools/api-module.ts).
    ...apiModuleFiles(config),
    { name: BOOT_FILE, data: Buffer.from(appJs) },
  ];
}
