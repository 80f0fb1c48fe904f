// The messages both clients send in the bench: the same subject, recipients and body bytes for each.

export const FROM = "alarm@bench.alertmail.local";
export const TO = "ops@bench.alertmail.local";

/** A typical alert body, ~300 bytes of ASCII text. */
export function alertText(i: number): string {
  return [
    `Door sensor D4 changed to OPEN (bench alert ${i}).`,
    "",
    "Device: bench-board",
    "Rule: front-door (digital, edge both, debounce 50 ms)",
    "Value: 1",
    "Alerts sent since boot: 1",
    "",
    "-- alertmail",
  ].join("\n");
}

/** Exactly `bytes` bytes of ASCII text in lines of at most 72 characters plus "\n". */
export function textOfBytes(bytes: number, seed: string): string {
  const words = `${seed} the quick brown fox jumps over the lazy dog 0123456789`.split(" ");
  let out = "";
  let line = "";
  let i = 0;
  while (out.length + line.length < bytes) {
    const w = words[i++ % words.length];
    if (line.length + w.length + 1 > 72) {
      out += line + "\n";
      line = "";
    } else line += (line ? " " : "") + w;
  }
  return (out + line).slice(0, bytes);
}

/** About `bytes` bytes of HTML: a report table, ASCII only, short lines. */
export function htmlOfBytes(bytes: number, seed: string): string {
  const head = `<html><body><h1>${seed}</h1><table border="1">\n`;
  const tail = "</table></body></html>\n";
  let rows = "";
  let i = 0;
  for (;;) {
    const row = `<tr><td>sensor ${i}</td><td>${(i * 7) % 100}.${i % 10} C</td><td>ok</td></tr>\n`;
    if (head.length + rows.length + row.length + tail.length > bytes) break;
    rows += row;
    i++;
  }
  return head + rows + tail;
}
