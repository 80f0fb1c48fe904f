// A conversation with an Espruino console over a Link: send a step's line, wait for its `@am` reply.
import { FlashError } from "./errors.ts";
import type { Link } from "./link.ts";
import { parseReply, type Reply, type Step } from "./protocol.ts";

export interface ConsoleSession {
  /** Every complete line the board printed so far (replies included), without line endings. */
  lines: string[];
  send(bytes: Buffer): Promise<void>;
  /** Sends the step's line and resolves with its reply; rejects on timeout or when the link closes. */
  run(step: Step, timeoutMs: number): Promise<Reply>;
  /** Resolves with the first line (printed after `fromLine`) that matches. */
  waitForLine(re: RegExp, timeoutMs: number, fromLine?: number): Promise<string>;
  /** Bytes received that are not yet a complete line. */
  pending(): string;
  closed(): boolean;
}

export function openSession(link: Link): ConsoleSession {
  const lines: string[] = [];
  let partial = "";
  let isClosed = false;
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());

  link.onData((chunk) => {
    partial += chunk.toString("latin1");
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const p of parts) lines.push(p.replace(/\r$/, ""));
    wake();
  });
  link.onClose(() => {
    isClosed = true;
    wake();
  });

  function waitFor<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined) return done(() => resolve(found));
        if (isClosed) return done(() => reject(new FlashError("ECLOSED", `${link.name} closed the connection while waiting for ${what}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new FlashError("ENOREPLY", `no answer from ${link.name} within ${timeoutMs / 1000} s (waiting for ${what})`))),
        timeoutMs,
      );
      const done = (f: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        f();
      };
      waiters.add(check);
      check();
    });
  }

  const session: ConsoleSession = {
    lines,
    send: (bytes) => link.write(bytes),
    async run(step, timeoutMs) {
      const from = lines.length;
      await link.write(Buffer.from(step.line, "latin1"));
      return waitFor(
        () => {
          for (let i = from; i < lines.length; i++) {
            const r = parseReply(lines[i]!);
            if (r && r.seq === step.seq) return r;
          }
          return undefined;
        },
        timeoutMs,
        `the reply to step ${step.seq} (${step.kind})`,
      );
    },
    waitForLine(re, timeoutMs, fromLine = 0) {
      return waitFor(
        () => {
          for (let i = fromLine; i < lines.length; i++) if (re.test(lines[i]!)) return lines[i]!;
          return undefined;
        },
        timeoutMs,
        `a line matching ${re}`,
      );
    },
    pending: () => partial,
    closed: () => isClosed,
  };
  return session;
}
