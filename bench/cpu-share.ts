// Where the CPU goes while something runs in this process: the firmware's own code (.bootcde), the
// simulator's Espruino emulation (host-sim/, its prelude), or the rest (Node's TLS and sockets, the
// embedded SMTP server, GC). Uses the V8 sampling profiler through node:inspector.
import { Session } from "node:inspector/promises";

export interface CpuShares {
  /** Busy (non-idle) milliseconds sampled. */
  busyMs: number;
  firmware: number;
  simulator: number;
  rest: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** The part a sampled frame belongs to, or null for idle time. */
export function partOf(frame: { functionName: string; url: string }): keyof Omit<CpuShares, "busyMs"> | null {
  if (frame.functionName === "(idle)") return null;
  if (frame.url.endsWith(".bootcde") || frame.url === ".bootcde") return "firmware";
  if (frame.url.startsWith("sim:") || frame.url.includes("/host-sim/")) return "simulator";
  return "rest";
}

/**
 * Self time per part from a V8 CPU profile, as shares of the busy time. A frame without a script
 * (a native built-in such as a RegExp) counts for the nearest caller that has one.
 */
export function sharesOf(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }): CpuShares {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partFor = (id: number) => {
    let node = byId.get(id);
    if (!node || node.callFrame.functionName === "(idle)") return null;
    if (node.callFrame.functionName.startsWith("(")) return "rest"; // (garbage collector), (program)
    while (node && !node.callFrame.url) node = byId.get(parent.get(node.id) ?? -1);
    return node ? partOf(node.callFrame) : "rest";
  };
  const us = { firmware: 0, simulator: 0, rest: 0 };
  profile.samples.forEach((id, i) => {
    const part = partFor(id);
    if (part) us[part] += profile.timeDeltas[i] ?? 0;
  });
  const busy = us.firmware + us.simulator + us.rest;
  const share = (v: number) => (busy ? v / busy : 0);
  return { busyMs: busy / 1000, firmware: share(us.firmware), simulator: share(us.simulator), rest: share(us.rest) };
}

/** Runs `f` under the sampling profiler and returns its result with the CPU shares. */
export async function profileShares<T>(f: () => Promise<T>): Promise<{ result: T; shares: CpuShares }> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 500 });
    await session.post("Profiler.start");
    let out: { result: T } | { error: unknown };
    try {
      out = { result: await f() };
    } catch (error) {
      out = { error };
    }
    const { profile } = (await session.post("Profiler.stop")) as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
    if ("error" in out) throw out.error;
    return { result: out.result, shares: sharesOf(profile) };
  } finally {
    session.disconnect();
  }
}
