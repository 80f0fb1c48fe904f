// Where an alert's milliseconds go inside the interpreter (issue 12 item 2): firmware/app.js rebuilt with
// every named function of src/ wrapped by a timer (and the objects its factories return, and the piece
// sources they hand out), flashed onto the native timing build, an alert sent warm and cold, and per alert:
// trigger → first socket write, each reply → next write, time per function (inclusive and self), Storage
// operations counted and timed, console lines. `ESPRUINO=… npx tsx bench/profile.ts [--n 5] [--cold] [--plain] [--html BYTES] [--src DIR]`.
// Not part of `npm run bench`: the wrappers cost time of their own (≈ 10 µs a call, counted apart).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { esbuildOptions, ROOT } from "../tools/build.ts";
import { postfixUnavailable, startPostfix } from "../tools/postfix/postfix.ts";
import { startSmtpSink } from "../host-sim/smtp-sink.ts";
import { nativeInterpreter, realInterpreter, startRealBoard, type RealBoard } from "../test/real/harness.ts";
import { boardFor, htmlInInterpreter, PASSWORD, USER } from "../test/real/measure.ts";

/** Appends `NAME = __w("file:NAME", NAME)` after every function declared at the top level or one level in. */
export function instrument(src: string, file: string): string {
  const lines = src.split("\n");
  const out: string[] = [];
  const pending: { indent: string; name: string }[] = [];
  for (const l of lines) {
    out.push(l);
    const m = /^( {0,2})(?:export )?function (\w+)\(/.exec(l);
    if (m) pending.push({ indent: m[1]!, name: m[2]! });
    const top = pending[pending.length - 1];
    if (top && l === `${top.indent}}`) {
      pending.pop();
      out.push(`${top.indent}${top.name} = __w(${JSON.stringify(`${file}:${top.name}`)}, ${top.name});`);
    }
  }
  return out.join("\n");
}

const instrumentPlugin: Plugin = {
  name: "profile-wrappers",
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const file = args.path.replace(/^.*[\\/]src[\\/]/, "").replace(/\.ts$/, "");
      const text = readFileSync(args.path, "utf8");
      // Types-only files and the board glue that runs at module load stay as they are.
      return { contents: /\.d$/.test(file) ? text : instrument(text, file), loader: "ts" };
    });
  },
};

/** The instrumented bundle of srcDir (default src/; another copy while src/ is mid-edit), written beside the real one's temp files. */
export async function buildProfiledApp(srcDir = join(ROOT, "src")): Promise<string> {
  const dir = join(ROOT, "test", ".tmp");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, "profile-app.js");
  const o = esbuildOptions(join(srcDir, "main.ts"), out);
  const r = await build({ ...o, sourcemap: false, plugins: [instrumentPlugin] });
  writeFileSync(out, r.outputFiles!.find((f) => f.path.endsWith(".js"))!.text);
  return out;
}

/**
 * .boot0 profiler: __w(name, f) times every call while __rl.P.on (inclusive, and self = minus wrapped
 * callees); a function it returns is wrapped as "name()", an object's methods as "name.method". Storage,
 * console.log and E.CRC32 are wrapped the same way; every socket write and data event goes on a timeline.
 * (No \`arguments\` in a function nested in one that uses it: on 2v29 it reads the outer one's. The board's
 * store and wifi are modules, typeof "function" here: left alone.)
 */
export const PROFILER = `(function(){
var P=__rl.P={on:0,s:{},st:[],tl:[],t0:0,plain:PLAIN,only:ONLY};
var FAC=/create|open|arm|Board|Transport|Timers|compose|body|Source|Reader|[.]/;
function rec(n,d){var c=P.st.pop();var e=P.s[n]||(P.s[n]=[0,0,0,0]);e[0]++;e[1]+=d;e[2]+=d-c[0];e[3]+=c[1];var p=P.st[P.st.length-1];if(p){p[0]+=d;p[1]+=c[1]+1}}
function post(n,r){if(typeof r=="function")return __w(n+"()",r);if(r&&typeof r=="object"&&!Array.isArray(r)&&!r.__w&&FAC.test(n)){Object.keys(r).forEach(function(k){if(typeof r[k]=="function"&&k!="store"&&k!="wifi")r[k]=__w(n+"."+k,r[k])});r.__w=1}return r}
global.__w=function(n,f){if(typeof f!="function"||f.__w||P.plain)return f;var sel=n[0]=="~"||P.only.test(n);if(!sel&&!FAC.test(n))return f;
var F=function(){if(!P.on||!sel)return post(n,f.apply(this,arguments));var t=getTime(),r;P.st.push([0,0]);try{r=f.apply(this,arguments)}catch(e){rec(n,getTime()-t);throw e}rec(n,getTime()-t);return post(n,r)};F.__w=1;return F};
var S=require("Storage");["read","write","erase","list"].forEach(function(k){S[k]=__w("Storage."+k,S[k])});
E.CRC32=__w("E.CRC32",E.CRC32);
var cl=console.log;console.log=__w("console.log",function(){return cl.apply(console,arguments)});
["tls","net"].forEach(function(n){var m=require(n);var c=m.connect;m.connect=function(){var s=c.apply(m,arguments);if(P.on)P.tl.push([getTime(),"connect"]);var w=s.write;s.write=function(d){if(P.on)P.tl.push([getTime(),"write",d.length,d.slice(0,12)]);return w.call(s,d)};var on=s.on;s.on=function(ev,fn){if(ev=="data"){var f=fn;fn=function(d){if(P.on)P.tl.push([getTime(),"data",d.length,d.slice(0,12)]);return f.call(this,d)}}return on.apply(s,[ev,fn])};return s}});
var z=__w("~inner",function(){}),y=function(){},i,t;P.on=1;
var o=__w("~outer",function(){for(var j=0;j<50;j++)z()});o();
t=getTime();for(i=0;i<50;i++)y();var B=(getTime()-t)/50;
P.cal={outer:P.s["~outer"][1]/50,inner:P.s["~inner"][1]/50,base:B};P.s={};P.on=0;
})()`;

interface Profile {
  /** Per function: calls, inclusive s, self s, wrapped calls under it. */
  s: Record<string, [number, number, number, number]>;
  /** Per wrapped call: what the caller sees, what the wrapper records for an empty function, an unwrapped call (s). */
  cal: { outer: number; inner: number; base: number };
  tl: [number, string, number?, string?][];
  t0: number;
}

async function oneAlert(b: RealBoard, trigger: string, sent: RegExp): Promise<Profile> {
  const from = b.lines.length;
  await b.eval(`(__rl.P.s={},__rl.P.st=[],__rl.P.tl=[],__rl.P.on=1,__rl.P.t0=getTime(),${trigger},1)`);
  const { line } = await b.waitForLine(sent, 60000, from);
  if (/failed/.test(line)) throw new Error(line);
  // The work after the 250 (erase, logging, the next kick) belongs to the alert too.
  await new Promise((r) => setTimeout(r, 300));
  return b.eval<Profile>("(__rl.P.on=0,{s:__rl.P.s,tl:__rl.P.tl,t0:__rl.P.t0,cal:__rl.P.cal})");
}

function report(label: string, runs: Profile[]) {
  const n = runs.length;
  const agg: Record<string, [number, number, number, number]> = {};
  for (const r of runs)
    for (const [k, v] of Object.entries(r.s)) {
      const a = (agg[k] ??= [0, 0, 0, 0]);
      for (let i = 0; i < 4; i++) a[i] += (v[i]! * (i === 1 || i === 2 ? 1000 : 1)) / n;
    }
  const cal = runs[0]!.cal;
  // What a wrapped call adds to everything above it (its wrapper), and to its own inclusive time.
  const per = (cal.outer - cal.base) * 1000;
  const own = Math.max(0, (cal.inner - cal.base) * 1000);
  console.log(`\n=== ${label}: ${n} alerts, per alert (ms) ===`);
  console.log(`a wrapped call costs its callers ${per.toFixed(3)} ms more than a plain call (${(cal.base * 1000).toFixed(3)} ms); "true incl" = incl − wrapped calls under it × that − ${own.toFixed(3)}`);
  const rows = Object.entries(agg).sort((a, b) => b[1][1] - b[1][3] * per - (a[1][1] - a[1][3] * per));
  console.log("calls   incl ms  true incl   self ms  under  function");
  for (const [k, v] of rows.slice(0, 60))
    console.log(`${v[0].toFixed(1).padStart(6)} ${v[1].toFixed(2).padStart(8)} ${Math.max(0, v[1] - v[3] * per - v[0] * own).toFixed(2).padStart(9)} ${v[2].toFixed(2).padStart(9)} ${v[3].toFixed(0).padStart(6)}  ${k}`);
  const at = (r: Profile, what: string, k = 0) => {
    const e = r.tl.filter((x) => x[1] === what)[k];
    return e ? (e[0] - r.t0) * 1000 : NaN;
  };
  const med = (xs: number[]) => xs.filter((x) => !isNaN(x)).sort((a, b) => a - b)[xs.length >> 1];
  const fw = runs.map((r) => at(r, "write"));
  const d250 = runs.map((r) => r.tl.filter((x) => x[1] === "data" && /^250 /m.test(String(x[3]))).map((x) => (x[0] - r.t0) * 1000).pop() ?? NaN);
  console.log(`trigger → first write: ${fw.map((x) => x.toFixed(1)).join(", ")} ms (median ${med(fw)?.toFixed(1)}); trigger → last 250 data: median ${med(d250)?.toFixed(1)} ms`);
  console.log("timeline of the last alert (ms from the trigger):");
  const last = runs[runs.length - 1]!;
  let prev = last.t0;
  for (const e of last.tl) {
    console.log(`  ${((e[0] - last.t0) * 1000).toFixed(2).padStart(8)} (+${((e[0] - prev) * 1000).toFixed(2).padStart(7)})  ${e[1]} ${e[2] ?? ""} ${JSON.stringify(e[3] ?? "")}`);
    prev = e[0];
  }
}

async function main(argv: string[]) {
  const found = realInterpreter();
  if ("skipped" in found) throw new Error(found.skipped);
  const bin = nativeInterpreter() ?? found.bin;
  const n = Number(argv[argv.indexOf("--n") + 1] || 5) || 5;
  const kinds = argv.includes("--cold") ? ["warm", "cold"] : ["warm"];
  // --plain: nothing wrapped, only the socket timeline (the times as the bench sees them).
  const plain = argv.includes("--plain");
  const html = argv.includes("--html") ? Number(argv[argv.indexOf("--html") + 1]) : 0;
  // --only REGEX: time only the functions whose names match (fewer wrappers, truer times).
  const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : "";
  const srcAt = argv.indexOf("--src");
  const app = await buildProfiledApp(srcAt >= 0 ? argv[srcAt + 1] : undefined);
  console.log(`instrumented bundle ${app}; interpreter ${bin}`);
  const pf = postfixUnavailable() ? null : await startPostfix().catch(() => null);
  const sink = pf ? null : await startSmtpSink({ tls: true, users: [{ user: USER, password: PASSWORD }] });
  const target = pf ? { port: pf.tlsPort, user: pf.user, password: pf.password } : { port: sink!.port, user: USER, password: PASSWORD };
  console.log(`server: ${pf ? "Postfix" : "smtp-server sink"}`);
  try {
    for (const kind of kinds) {
      const b = await startRealBoard({
        bin,
        appFile: app,
        boot0: PROFILER.replace("PLAIN", plain ? "1" : "0").replace("ONLY", only ? `new RegExp(${JSON.stringify(only)})` : "/./"),
        log: process.env.PROFILE_LOG ? (l) => console.error(`  | ${l}`) : undefined,
        board: boardFor({ ...target, security: "tls" }, kind === "warm" ? { smtp: { keepAliveSeconds: 60 } } : {}),
      });
      try {
        await b.idle(1);
        // --html BYTES: an alertmail.send({html}) of that size (built on the console first, not timed).
        if (html) await b.eval(`(__rl.h=${htmlInInterpreter(html)},1)`);
        const cases: [string, RegExp][] = html
          ? [[`alertmail.send({subject:"profile html",html:__rl.h})`, /alertmail: (sent|failed) "profile html/]]
          : [
              ["alertmail.test()", /alertmail: (sent|failed) "Garage: test mail"/],
              ['alertmail.fire("door")', /alertmail: (sent|failed) "Garage: door/],
            ];
        for (const [trigger, sent] of cases) {
          await oneAlert(b, trigger, sent); // warm-up
          const runs: Profile[] = [];
          for (let i = 0; i < n; i++) {
            runs.push(await oneAlert(b, trigger, sent));
            if (kind === "cold") await new Promise((r) => setTimeout(r, 500));
          }
          report(`${kind} ${trigger}`, runs);
        }
      } finally {
        await b.stop();
      }
    }
  } finally {
    await pf?.stop();
    await sink?.close();
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1])
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e) => {
      console.error(e?.stack ?? e);
      process.exit(1);
    },
  );
