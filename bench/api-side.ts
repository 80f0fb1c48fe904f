// The API side of the bench (issue 16): the REAL firmware/app.js (+ the amapi.js Storage module) in the
// simulator, sending one alert per trial through a provider's HTTPS mock behind the same flight proxy
// as the SMTP sides, timed trigger → the firmware got the 2xx status line, with the client flights the
// proxy counted. `npx tsx bench/api-side.ts [provider]` prints the rows; run.ts may call apiTrials().
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startApiSink } from "../host-sim/api/api-sink.ts";
import type { ProviderName } from "../host-sim/api/providers.ts";
import { createSimBoard } from "../host-sim/board.ts";
import { validateBoard } from "../tools/config/validate.ts";
import { storageFiles } from "../tools/flash/payload.ts";
import { startFlightProxy } from "./flight-proxy.ts";
import { quiesce, trial, withTimeout, type Trial } from "./measure.ts";
import { FROM, TO } from "./messages.ts";

const ROOT = join(import.meta.dirname, "..");
const KEY = "bench-api-key";

/** Console code: wraps require("http").request so the response callback first calls __bench2xx(status). */
const STATUS_PROBE = `(function(g){var h=require("http");if(h.__bench)return;h.__bench=1;var r=h.request;h.request=function(o,cb){return r.call(h,o,function(res){g.__bench2xx(+res.statusCode);return cb(res)})}})(this)`;

export interface ApiTrials {
  provider: ProviderName;
  delayMs: number;
  trials: Trial[];
  errors: string[];
}

/** n cold alerts (one HTTPS connection each, as the board makes them) at a one-way delay. */
export async function apiTrials(o: { provider?: ProviderName; delayMs: number; n: number; appJs?: string }): Promise<ApiTrials> {
  const provider = o.provider ?? "postmark";
  const sink = await startApiSink({ provider, key: KEY, domain: "mg.example.com" });
  const proxy = await startFlightProxy({ targetPort: sink.port, delayMs: o.delayMs });
  const paths: Record<string, string> = { postmark: "/email", mailtrap: "/api/send", sendgrid: "/v3/mail/send", mailgun: "/v3/mg.example.com/messages", resend: "/emails" };
  const r = validateBoard({
    device: { name: "bench-board", timezone: "UTC", watchdogSeconds: 0 },
    wifi: { ssid: "bench", password: "bench-wifi" },
    smtp: { from: FROM, to: [TO] },
    outbox: { coalesceSeconds: 0 },
    api: { provider, key: KEY, ...(provider === "mailgun" ? { domain: "mg.example.com" } : {}), url: `https://127.0.0.1:${proxy.port}${paths[provider]}` },
  });
  if (!r.ok) throw new Error(r.errors.join("; "));
  const dir = mkdtempSync(join(tmpdir(), "alertmail-api-bench-"));
  const lines: string[] = [];
  const board = createSimBoard({ storageDir: dir, log: (l) => lines.push(l) });
  for (const f of storageFiles(readFileSync(o.appJs ?? join(ROOT, "firmware", "app.js")), r.config)) board.storage.writeBytes(f.name, f.data);
  const out: ApiTrials = { provider, delayMs: o.delayMs, trials: [], errors: [] };
  try {
    board.boot();
    await board.waitForOutput(/^alertmail: ready/, 15000);
    let got2xx = -1;
    (board.eval("(function(){return this})()") as Record<string, unknown>).__bench2xx = (status: number) => {
      if (status >= 200 && status < 300) got2xx = performance.now();
    };
    board.eval(STATUS_PROBE);
    for (let i = 0; i < o.n; i++) {
      await quiesce(proxy);
      const subject = `bench api ${i}`;
      try {
        out.trials.push(
          await trial(proxy, () =>
            withTimeout(
              (async () => {
                const t0 = performance.now();
                got2xx = -1;
                const sent = board.waitForOutput(new RegExp(`^alertmail: (sent|failed) "${subject}"`), 60000);
                board.eval(`alertmail.send({subject: ${JSON.stringify(subject)}, text: "door open"})`);
                const l = await sent;
                if (!l.includes("sent")) throw new Error(l);
                return got2xx >= t0 ? got2xx : performance.now();
              })(),
              60000,
              "api trial",
            ),
          ),
        );
      } catch (e) {
        out.errors.push(String((e as Error).message ?? e).slice(0, 160));
      }
    }
  } finally {
    board.stop();
    await proxy.close();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1] : NaN);

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const provider = (process.argv[2] ?? "postmark") as ProviderName;
  const n = Number(process.env.BENCH_N ?? 10);
  for (const delayMs of [0, 25, 50]) {
    const r = await apiTrials({ provider, delayMs, n, appJs: process.env.API_FW_APP });
    const ms = median(r.trials.map((t) => t.ms));
    const fl = median(r.trials.map((t) => t.flightsAfterTls));
    console.log(`cold alert, ${provider} API mock (HTTPS), ${delayMs} ms: flights after TLS ${fl}, trigger→2xx ${ms.toFixed(0)} ms (median of ${r.trials.length}${r.errors.length ? `; ${r.errors.length} failed: ${r.errors[0]}` : ""})`);
  }
}
