// The board's flash file store (require("Storage")) behind four calls, so the outbox runs on Node with a fake.

/** Flat file store of byte strings; names ≤ 28 characters (longer names are truncated on the board). */
export interface Store {
  /** undefined when the file does not exist. */
  read(name: string): string | undefined;
  /** Replaces the whole file; throws when the flash is full. */
  write(name: string, data: string): void;
  erase(name: string): void;
  /** Names starting with prefix, in no particular order. */
  list(prefix: string): string[];
}

export function boardStore(): Store {
  const S = require("Storage");
  return {
    read: function (n) {
      return S.read(n);
    },
    write: function (n, d) {
      S.write(n, d);
    },
    erase: function (n) {
      S.erase(n);
    },
    list: function (p) {
      return S.list().filter(function (n: string) {
        return n.startsWith(p);
      });
    },
  };
}
