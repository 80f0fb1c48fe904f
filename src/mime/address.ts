// What a valid address is, the one definition: the firmware checks every address it writes with it, and
// the PC's config checker (tools/config/address.ts) refuses whatever it refuses, so nothing passes
// `npm run check` and then fails on the board.

/**
 * An addr-spec the board may write (RFC 5321 §4.1.2 Mailbox, ASCII only): a dot-atom-ish local part,
 * "@", then a domain or an IPv4 address literal "[192.168.1.10]" (RFC 5321 §4.1.3); ≤ 254 characters.
 * Espruino's regex subset: no "|" inside a group, so the two domain forms are two tests.
 */
export function isAddress(a: string): boolean {
  const at = a.lastIndexOf("@");
  const d = a.slice(at + 1);
  return (
    typeof a == "string" && a.length <= 254 && at > 0 &&
    /^[-\w\.!#$%&'*+\/=?^`{\|}~]+$/.test(a.slice(0, at)) &&
    (/^[-\w\.]+$/.test(d) || /^\[[\d\.]+\]$/.test(d))
  );
}
