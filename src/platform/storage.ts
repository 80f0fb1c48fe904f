// The flash file store as the firmware uses it: the shape of Espruino's require("Storage"), which is
// passed as it is on the board (platform/board.ts), so the outbox runs on Node with a fake.

/** Flat file store of byte strings; names ≤ 28 characters (longer names are truncated on the board). */
export interface Store {
  /** undefined when the file does not exist. */
  read(name: string): string | undefined;
  /** Replaces the whole file; throws when the flash is full. */
  write(name: string, data: string): void;
  erase(name: string): void;
  /** Names matching the regex (Storage.list(regex)), in no particular order. */
  list(re: RegExp): string[];
}
