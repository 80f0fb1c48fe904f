// Per-rule rate limits: a cooldown between two mails and at most N mails in any rolling hour.

export interface RuleState {
  /** ms of the last mail raised, -Infinity before the first. */
  last: number;
  /** ms of the mails raised within the last hour (at most maxPerHour kept). */
  hour: number[];
  /** Triggers since the last mail, the suppressed ones included ({{count}}). */
  count: number;
  /** What happened last (raised, held, then what became of its mail), for alertmail.status(). */
  result: string;
}

export function newRuleState(): RuleState {
  return { last: -Infinity, hour: [], count: 0, result: "idle" };
}

/** "" when a mail may go now (and records it), else why not. */
export function admit(st: RuleState, cooldownSeconds: number, maxPerHour: number, now: number): string {
  if (now - st.last < cooldownSeconds * 1000) return "cooldown";
  const h = st.hour.filter(function (t) {
    return now - t < 3600000;
  });
  st.hour = h;
  if (maxPerHour > 0 && h.length >= maxPerHour) return "max per hour";
  st.last = now;
  if (maxPerHour > 0) h.push(now);
  return "";
}
