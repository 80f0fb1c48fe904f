// Power cuts at every Storage write and erase of one send: alert A to two recipients, the second
// answering 451 once (a copy must follow for it alone); alert B refused with 554 at the end of its
// data (it must be reported in a later mail). The simulator's Storage tears writes the board's way
// (header with the full size first, then the data: host-sim/storage.ts); after each cut a fresh
// interpreter boots on the same flash against a server that now accepts everything, and the run is
// judged like the fuzzing (rig.ts): nothing lost, no garbage, every refusal reported, no stuck outbox.
import { createSimBoard, type SimBoard } from "../../host-sim/board.ts";
import { armPowerCut, cutPointsOf, type CutPoint, type FlashOp } from "../../host-sim/storage.ts";
import { drained, flashedStorage, judge, sendCode, sleep, type AlertSpec, type RunOutcome } from "./rig.ts";
import { startScriptServer, type Script } from "./script-server.ts";

export const A: AlertSpec = { subject: "power A", body: "Alert A: the pump stopped.\nSecond line ü €.", to: ["a1@x.test", "a2@x.test"] };
export const B: AlertSpec = { subject: "power B", body: "Alert B: refused by the server.", to: ["b1@x.test"] };

/** Phase 1: a2 answers 451 the first time; B's message gets 554 at its end. */
function phase1(): Script {
  let greylisted = false;
  return (s) => {
    if (s.step === "rcpt" && s.line.includes("a2@x.test") && !greylisted) {
      greylisted = true;
      return { bytes: "451 4.7.1 greylisted, try again later\r\n" };
    }
    if ((s.step === "dot" || s.step === "bdat-last") && s.body.includes("Subject: " + B.subject)) return { bytes: "554 5.7.1 message refused\r\n" };
    return undefined;
  };
}

export interface PowerRun extends RunOutcome {
  ops: FlashOp[];
  cutAt: FlashOp | null;
  point: CutPoint | null;
}

async function bootOn(dir: string): Promise<SimBoard> {
  const b = createSimBoard({ storageDir: dir });
  b.boot();
  await b.waitForOutput(/^alertmail: (ready|no configuration|bad configuration)/, 15000);
  return b;
}

/** One send with a cut at op `at` (point), or none (the baseline that lists the ops). */
export async function powerRun(o: { tls: boolean; ext?: string[]; at?: number; point?: CutPoint }): Promise<PowerRun> {
  const server = await startScriptServer({ tls: o.tls, ext: o.ext, script: phase1() });
  try {
    const dir = flashedStorage({ port: server.port, tls: o.tls });
    let board = await bootOn(dir);
    let cut = false;
    const errors: string[] = [];
    const handle = armPowerCut(dir, {
      at: o.at,
      point: o.point,
      onCut: () => {
        cut = true;
        errors.push(...board.errors);
        board.stop(); // the power is gone: no timer, socket or write of this boot runs again
      },
    });
    board.eval(sendCode(A) + ";" + sendCode(B));
    // Phase 1 runs until the cut, or until the outbox is empty (the baseline).
    const end = Date.now() + 15000;
    while (!cut && Date.now() < end) {
      if (await drained(board, 50)) break;
      await sleep(20);
    }
    handle.disarm();
    if (!cut) {
      errors.push(...board.errors);
      board.stop();
    }
    // Power back: a fresh interpreter on the same flash; the server behaves from now on.
    server.setScript(undefined);
    board = await bootOn(dir);
    const carrier: AlertSpec = { subject: "carrier " + server.port, body: "carries the reports", to: ["carrier@x.test"] };
    board.eval(sendCode(carrier));
    const stuck = !(await drained(board, 10000));
    errors.push(...board.errors);
    board.stop();
    // An alert counts once its own writes completed before the cut (its "queued" was true): the first
    // run of consecutive writes to a record file is A's, the next B's (a record may take several writes).
    const runs: FlashOp[][] = [];
    for (const op of handle.ops) {
      if (op.kind !== "write" || !/^amq\d+$/.test(op.name)) break;
      const last = runs[runs.length - 1];
      if (last && last[0].name === op.name) last.push(op);
      else runs.push([op]);
    }
    const persisted = [A, B].filter((_, i) => runs[i] && (!handle.cutAt || handle.cutAt.n > runs[i][runs[i].length - 1].n));
    const verdict = await judge(persisted, server, { carrier });
    return { verdict, sessions: server.sessions.length, stuck, stuckAfterReboot: stuck, errors, board, ops: handle.ops, cutAt: handle.cutAt, point: o.at ? (o.point ?? "before") : null };
  } finally {
    await server.close();
  }
}

/** Every (op, point) of the baseline's flash ops. */
export function cutPlan(ops: FlashOp[]): { at: number; point: CutPoint; op: FlashOp }[] {
  return ops.flatMap((op) => cutPointsOf(op).map((point) => ({ at: op.n, point, op })));
}

export function opLabel(op: FlashOp): string {
  return `${op.kind} #${op.n} ${op.name}${op.kind === "write" ? ` (${op.bytes} bytes${op.creates ? "" : ", into the file"}${op.replaces ? ", replaces" : ""}${op.same ? ", same bytes" : ""})` : ""}`;
}
