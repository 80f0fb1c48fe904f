// Parses the user's "Name <addr@example.com>" / "addr@example.com" strings into Mailbox objects.
import type { Mailbox } from "../../src/config.ts";
import { isAddress } from "../../src/mime/address.ts";

// RFC 5322 §3.2.3 atext, for a dot-atom local part.
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;
// RFC 1035 §2.3.1 label (letters, digits, hyphens inside).
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV4_LITERAL = /^\[(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\]$/;

export type ParsedMailbox = { ok: true; mailbox: Mailbox } | { ok: false; problem: string };

/** Why an addr-spec is not acceptable, or null when it is (ASCII only: no SMTPUTF8 on the board). */
export function addrSpecProblem(address: string): string | null {
  if (address === "") return "it is empty";
  if (/[^\x20-\x7e]/.test(address)) {
    if (/[\r\n\0]/.test(address)) return "it contains a line break or NUL";
    return "it has non-ASCII characters: internationalised (SMTPUTF8, RFC 6531) addresses are not supported, use an ASCII address";
  }
  if (/\s/.test(address)) return "it contains a space";
  // RFC 5321 §4.5.3.1.3: a path is at most 256 octets including <>.
  if (address.length > 254) return "it is longer than 254 characters (RFC 5321 §4.5.3.1.3)";
  const at = address.lastIndexOf("@");
  if (at < 0) return 'it has no "@"';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local === "") return 'nothing before the "@"';
  if (local.startsWith('"')) return "quoted local parts are not supported";
  if (local.length > 64) return "the part before the @ is longer than 64 characters (RFC 5321 §4.5.3.1.1)";
  if (!local.split(".").every((atom) => ATEXT.test(atom))) {
    return `"${local}" is not a valid local part (letters, digits, ${"!#$%&'*+-/=?^_`{|}~"} and single dots inside)`;
  }
  if (domain === "") return 'nothing after the "@"';
  const literal = IPV4_LITERAL.exec(domain);
  if (literal) {
    return literal.slice(1).every((n) => Number(n) <= 255) ? null : `"${domain}" is not an IPv4 address literal`;
  }
  if (!domain.split(".").every((label) => LABEL.test(label))) return `"${domain}" is not a valid domain`;
  // The firmware's own definition (src/mime/address.ts) has the last word: what it refuses is refused here.
  if (!isAddress(address)) return "the board cannot write this address";
  return null;
}

/** "Name <a@b.c>", "\"Last, First\" <a@b.c>", "<a@b.c>" or "a@b.c". */
export function parseMailbox(text: string): ParsedMailbox {
  if (/[\r\n\0]/.test(text)) return { ok: false, problem: "it contains a line break or NUL" };
  if (/[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) return { ok: false, problem: "it contains a control character" };
  const s = text.trim();
  let name = "";
  let address = s;
  if (s.endsWith(">")) {
    const open = s.lastIndexOf("<");
    if (open < 0) return { ok: false, problem: 'it ends with ">" but has no "<"' };
    address = s.slice(open + 1, -1).trim();
    name = s.slice(0, open).trim();
    if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) {
      name = name.slice(1, -1).replace(/\\(.)/g, "$1");
    }
  } else if (s.includes("<")) {
    return { ok: false, problem: 'it has "<" but does not end with ">"' };
  }
  const problem = addrSpecProblem(address);
  if (problem) return { ok: false, problem };
  return { ok: true, mailbox: { name, address } };
}
