// The Date header value, RFC 5322 §3.3: "Tue, 14 Nov 2023 23:13:20 +0100" (numeric zone, never "GMT").

/** ms: epoch milliseconds; tz: minutes east of UTC (CET = 60). */
export function formatDate(ms: number, tz: number): string {
  const a = tz < 0 ? -tz : tz;
  // toUTCString() is "Tue, 14 Nov 2023 22:13:20 GMT" on the board and on Node: swap "GMT" for the zone.
  return (
    new Date(ms + tz * 60000).toUTCString().slice(0, -3) +
    (tz < 0 ? "-" : "+") +
    ("000" + (Math.floor(a / 60) * 100 + (a % 60))).slice(-4)
  );
}
