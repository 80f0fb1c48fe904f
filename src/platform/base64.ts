// Base64 (RFC 4648 §4) of byte strings: the board's native btoa/atob, reached only through here.

/** Base64 of a byte string. */
export function base64(s: string): string {
  return btoa(s);
}
/** The byte string of base64 text; throws on a bad one. */
export function unbase64(s: string): string {
  return atob(s);
}
