// The flash file store as the firmware uses it: the shape of Espruino's require("Storage"), which is
// passed as it is on the board (platform/board.ts), so the outbox runs on Node with a fake.

/** Flat file store of byte strings; names ≤ 28 characters (longer names are truncated on the board). */
export interface Store {
  /**
   * undefined when the file does not exist. offset/length read a part (clipped to the file; a length of 0
   * or less reads to the end, so never pass one).
   */
  read(name: string, offset?: number, length?: number): string | undefined;
  /**
   * Replaces the whole file; throws when the flash is full. With offset 0 and size: creates a file of `size`
   * bytes (0xFF) and writes data at its start; with an offset alone: writes into that file in place.
   */
  write(name: string, data: string, offset?: number, size?: number): void;
  erase(name: string): void;
  /** Names matching the regex (Storage.list(regex)), in no particular order. */
  list(re: RegExp): string[];
}
