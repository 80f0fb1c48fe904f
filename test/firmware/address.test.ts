// One definition of a valid address (issue 17 defect 7): whatever `npm run check` accepts, the board writes.
import fc from "fast-check";
import { expect, test } from "vitest";
import { composeMessage } from "../../src/mime/compose.ts";
import { parseMailbox } from "../../tools/config/address.ts";

/** Does the firmware write a message to this address (or throw "bad address")? */
function boardTakes(text: string): boolean {
  const p = parseMailbox(text);
  const to = p.ok ? p.mailbox : { name: "", address: text };
  try {
    composeMessage({ from: { name: "", address: "a@example.com" }, to: [to], cc: [], subject: "s", text: "t", messageId: "x@y" });
    return true;
  } catch (e) {
    return false;
  }
}

test("an IPv4 address literal is accepted by both the checker and the board", () => {
  expect(parseMailbox("owner@[192.168.1.10]").ok).toBe(true);
  expect(boardTakes("owner@[192.168.1.10]")).toBe(true);
});

test("every address the checker accepts, the board accepts", () => {
  const samples = ["a@b.c", "first.last+tag@example.co.uk", "x@[10.0.0.1]", "o'neil@example.com", "a@b", "a..b@c.d", "a@-b.c", "a@[999.1.1.1]", "a@[1.2.3]", '"q"@x.y', "a b@c.d"];
  for (const a of samples) if (parseMailbox(a).ok) expect({ a, board: boardTakes(a) }).toEqual({ a, board: true });
  const ch = fc.constantFrom(..."ab.-_@[]1:+=!#'`~{}|/?^$%&*\"\\ ".split(""));
  fc.assert(
    fc.property(fc.array(ch, { minLength: 1, maxLength: 20 }), (cs) => {
      const a = cs.join("");
      if (parseMailbox(a).ok) expect(boardTakes(a)).toBe(true);
    }),
    { numRuns: 3000 },
  );
});
