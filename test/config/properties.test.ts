// Properties: a line break anywhere a header value comes from is refused; well-formed mailboxes parse back exactly.
import fc from "fast-check";
import { expect, test } from "vitest";
import { parseMailbox } from "../../tools/config/address.ts";
import { validateBoard } from "../../tools/config/validate.ts";

const base = () => ({
  device: { name: "Shed", timezone: "UTC" },
  wifi: { ssid: "shed" },
  smtp: { host: "smtp.example.com", from: "Shed <shed@example.com>", to: ["me@example.com"] },
  alerts: [{ kind: "analog", name: "temp", pin: "D34", above: 30, unit: "C", subject: "{{name}}" }],
});

/** Setters for every one-line value that can reach a header or an SMTP command. */
const HEADER_FIELDS: [string, (b: any, v: string) => void][] = [
  ["device.name", (b, v) => (b.device.name = v)],
  ["smtp.from", (b, v) => (b.smtp.from = `${v} <shed@example.com>`)],
  ["smtp.to[0]", (b, v) => (b.smtp.to = [`"${v}" <me@example.com>`])],
  ["smtp.helo", (b, v) => (b.smtp.helo = v)],
  ["smtp.user", (b, v) => Object.assign(b.smtp, { user: v, password: "secret-pw" })],
  ["smtp.password", (b, v) => Object.assign(b.smtp, { user: "u", password: v })],
  ["alerts[0].name", (b, v) => (b.alerts[0].name = v)],
  ["alerts[0].subject", (b, v) => (b.alerts[0].subject = v)],
  ["alerts[0].unit", (b, v) => (b.alerts[0].unit = v)],
];

test("a CR or LF inserted anywhere in any header-bound value is refused, naming that key", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...HEADER_FIELDS),
      fc.string({ maxLength: 8 }),
      fc.constantFrom("\r", "\n", "\r\n"),
      fc.string({ maxLength: 8 }),
      ([path, set], before, br, after) => {
        const b = base();
        set(b, `${before}${br}${after}`.replace(/"/g, "'"));
        const r = validateBoard(b);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.errors.some((e) => e.startsWith(`${path}:`))).toBe(true);
      },
    ),
    { numRuns: 300 },
  );
});

const atom = fc.stringMatching(/^[a-z0-9!#$%&'*+\/=?^_`{|}~-]{1,10}$/);
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const addrSpec = fc
  .tuple(fc.array(atom, { minLength: 1, maxLength: 3 }), fc.array(label, { minLength: 1, maxLength: 3 }))
  .map(([local, domain]) => `${local.join(".")}@${domain.join(".")}`);
const displayName = fc.string({ maxLength: 20 }).filter((s) => !/[\r\n\0<>"\\]/.test(s) && s.trim() === s);

test('"Name <addr>" and bare addresses parse back to exactly that name and address', () => {
  fc.assert(
    fc.property(addrSpec, displayName, (address, name) => {
      expect(parseMailbox(address)).toEqual({ ok: true, mailbox: { name: "", address } });
      const quoted = `"${name}" <${address}>`;
      expect(parseMailbox(quoted)).toEqual({ ok: true, mailbox: { name, address } });
    }),
    { numRuns: 300 },
  );
});
