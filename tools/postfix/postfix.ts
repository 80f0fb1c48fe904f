// startPostfix(): a throwaway, loopback-only Postfix in its own temp dir (own config and queue
// directories, the system's untouched) for interop tests: implicit TLS (wrapper mode, RSA cert) and a
// plain port, SASL AUTH PLAIN/LOGIN through Cyrus sasldb, every recipient into one Maildir, nothing
// relayed. tools/postfix/README.md says why each setting is here. Returns null (reason printed)
// when Postfix is not installed (tools/postfix/install.sh) or we are not root; in CI (CI=true) it
// throws instead, so a broken Postfix setup fails the run rather than reading as "skipped".
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";

export interface Postfix {
  /** Implicit TLS (RFC 8314) with AUTH. */
  tlsPort: number;
  /** Plain SMTP with AUTH (a "trusted relay"). */
  plainPort: number;
  user: string;
  password: string;
  /** Maildir every message lands in (new/ holds the files). */
  maildir: string;
  /** Root of this instance (config, queue, log). */
  dir: string;
  /** Messages delivered so far, oldest first, as raw bytes (Postfix stores LF line ends). */
  messages(): Buffer[];
  /** Resolves once n messages are in the Maildir. */
  waitForMessages(n: number, timeoutMs: number): Promise<Buffer[]>;
  /** The instance's log (maillog_file). */
  log(): string;
  stop(): Promise<void>;
}

const HOSTNAME = "postfix.test";

function which(cmd: string): string | null {
  for (const d of ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]) if (existsSync(join(d, cmd))) return join(d, cmd);
  return null;
}

function idOf(name: string, flag: "-u" | "-g"): number | null {
  const r = spawnSync("id", [flag, name], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.on("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

/** In CI (CI=true, as .ci/run sets it) Postfix was installed by .ci/run: a test that needs it must fail, never skip. */
export function postfixRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === "true" || env.CI === "1";
}

/** Why the Postfix tests are skipped here, or null when they run (always null in CI, where they fail instead). */
export function postfixSkipReason(env: NodeJS.ProcessEnv = process.env): string | null {
  return postfixRequired(env) ? null : postfixUnavailable();
}

/** Why Postfix cannot run here, or null when it can. */
export function postfixUnavailable(): string | null {
  if (!which("postfix") || !which("postconf")) return "postfix is not installed (run tools/postfix/install.sh as root)";
  if (!which("saslpasswd2")) return "saslpasswd2 is not installed (package sasl2-bin; run tools/postfix/install.sh)";
  if (process.getuid && process.getuid() !== 0) return "postfix tests need root (postfix start)";
  if (idOf("postfix", "-u") === null) return "the postfix user does not exist";
  return null;
}

export async function startPostfix(): Promise<Postfix | null> {
  const why = postfixUnavailable();
  if (why) {
    if (postfixRequired()) throw new Error(`postfix: required in CI (CI=true) but cannot run: ${why}`);
    console.log(`postfix: skipped: ${why}`);
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), "alertmail-postfix-"));
  chmodSync(dir, 0o755);
  const etc = join(dir, "etc");
  const spool = join(dir, "spool");
  const data = join(dir, "data");
  // Debian's Postfix reads Cyrus' smtpd.conf from $config_directory/sasl (its 07_sasl_config patch).
  const sasl = join(etc, "sasl");
  const mail = join(dir, "mail");
  for (const d of [etc, spool, data, sasl, mail]) mkdirSync(d, { recursive: true });
  const postfixUid = idOf("postfix", "-u")!;
  const postfixGid = idOf("postfix", "-g")!;
  chownSync(data, postfixUid, postfixGid);
  // virtual(8) refuses uids under 100: deliver as the postfix user if it qualifies, else as nobody.
  const vuid = postfixUid >= 100 ? postfixUid : 65534;
  const vgid = postfixUid >= 100 ? postfixGid : 65534;
  chownSync(mail, vuid, vgid);
  chmodSync(mail, 0o755);

  const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keyType: "rsa",
    keySize: 2048,
    algorithm: "sha256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  } as any);
  writeFileSync(join(etc, "cert.pem"), pems.cert);
  writeFileSync(join(etc, "key.pem"), pems.private, { mode: 0o600 });

  const user = "alert";
  const password = "postfix-test-pw";
  const sasldb = join(sasl, "sasldb2");
  execFileSync(which("saslpasswd2")!, ["-p", "-c", "-f", sasldb, "-u", HOSTNAME, user], { input: password });
  chownSync(sasldb, 0, postfixGid);
  chmodSync(sasldb, 0o640);
  writeFileSync(join(sasl, "smtpd.conf"), `pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: ${sasldb}\n`);

  const tlsPort = await freePort();
  const plainPort = await freePort();
  writeFileSync(
    join(etc, "main.cf"),
    [
      "compatibility_level = 3.6",
      `queue_directory = ${spool}`,
      `data_directory = ${data}`,
      "meta_directory = /etc/postfix",
      "mail_owner = postfix",
      "setgid_group = postdrop",
      `myhostname = ${HOSTNAME}`,
      `mydomain = ${HOSTNAME}`,
      "myorigin = $myhostname",
      "mydestination =",
      "inet_interfaces = 127.0.0.1",
      "inet_protocols = ipv4",
      "mynetworks = 127.0.0.0/8",
      "smtpd_peername_lookup = no",
      "smtp_dns_support_level = disabled",
      "biff = no",
      "append_dot_mydomain = no",
      "alias_maps =",
      "alias_database =",
      "local_recipient_maps =",
      `maillog_file = ${join(dir, "maillog")}`,
      `maillog_file_prefixes = ${dir}`,
      // Catch-all Maildir, nothing relayed (two fences).
      "virtual_mailbox_domains = static:all",
      `virtual_mailbox_base = ${dir}`,
      "virtual_mailbox_maps = static:mail/",
      `virtual_uid_maps = static:${vuid}`,
      `virtual_gid_maps = static:${vgid}`,
      "virtual_minimum_uid = 100",
      "default_transport = error:the test MTA relays nothing",
      "relay_transport = error:the test MTA relays nothing",
      "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
      `smtpd_tls_cert_file = ${join(etc, "cert.pem")}`,
      `smtpd_tls_key_file = ${join(etc, "key.pem")}`,
      "smtpd_tls_security_level = may",
      "smtpd_sasl_type = cyrus",
      "smtpd_sasl_path = smtpd",
      `cyrus_sasl_config_path = ${sasl}`,
      `smtpd_sasl_local_domain = ${HOSTNAME}`,
      "smtpd_sasl_auth_enable = no",
      "smtputf8_enable = yes",
      "",
    ].join("\n"),
  );
  // The chroot column is "n": a chrooted smtpd cannot read the sasldb (tools/postfix/README.md).
  const svc = (name: string, type: string, priv: string, unpriv: string, wakeup: string, max: string, cmd: string) =>
    `${name} ${type} ${priv} ${unpriv} n ${wakeup} ${max} ${cmd}`;
  writeFileSync(
    join(etc, "master.cf"),
    [
      svc(`127.0.0.1:${tlsPort}`, "inet", "n", "-", "-", "-", "smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes"),
      svc(`127.0.0.1:${plainPort}`, "inet", "n", "-", "-", "-", "smtpd -o smtpd_sasl_auth_enable=yes"),
      svc("pickup", "unix", "n", "-", "60", "1", "pickup"),
      svc("cleanup", "unix", "n", "-", "-", "0", "cleanup"),
      svc("qmgr", "unix", "n", "-", "300", "1", "qmgr"),
      svc("tlsmgr", "unix", "-", "-", "1000?", "1", "tlsmgr"),
      svc("rewrite", "unix", "-", "-", "-", "-", "trivial-rewrite"),
      svc("bounce", "unix", "-", "-", "-", "0", "bounce"),
      svc("defer", "unix", "-", "-", "-", "0", "bounce"),
      svc("trace", "unix", "-", "-", "-", "0", "bounce"),
      svc("verify", "unix", "-", "-", "-", "1", "verify"),
      svc("flush", "unix", "n", "-", "1000?", "0", "flush"),
      svc("proxymap", "unix", "-", "-", "-", "-", "proxymap"),
      svc("smtp", "unix", "-", "-", "-", "-", "smtp"),
      svc("relay", "unix", "-", "-", "-", "-", "smtp"),
      svc("showq", "unix", "n", "-", "-", "-", "showq"),
      svc("error", "unix", "-", "-", "-", "-", "error"),
      svc("retry", "unix", "-", "-", "-", "-", "error"),
      svc("discard", "unix", "-", "-", "-", "-", "discard"),
      svc("local", "unix", "-", "n", "-", "-", "local"),
      svc("virtual", "unix", "-", "n", "-", "-", "virtual"),
      svc("lmtp", "unix", "-", "-", "-", "-", "lmtp"),
      svc("anvil", "unix", "-", "-", "-", "1", "anvil"),
      svc("scache", "unix", "-", "-", "-", "1", "scache"),
      svc("postlog", "unix-dgram", "n", "-", "-", "1", "postlogd"),
      "",
    ].join("\n"),
  );

  const postfix = which("postfix")!;
  const run = (args: string[]) => spawnSync(postfix, ["-c", etc, ...args], { encoding: "utf8", env: { ...process.env, MAIL_CONFIG: etc } });
  const started = run(["start"]);
  const readLog = () => (existsSync(join(dir, "maillog")) ? readFileSync(join(dir, "maillog"), "utf8") : "");
  let stopped = false;
  // A test process that ends without stop() must not leave a master running.
  process.once("exit", () => {
    if (!stopped) run(["stop"]);
    stopped = true;
    rmSync(dir, { recursive: true, force: true });
  });
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    run(["stop"]);
    // master exits asynchronously; wait for the ports to close before removing its files.
    for (let i = 0; i < 50 && ((await answers(tlsPort)) || (await answers(plainPort))); i++) await new Promise((r) => setTimeout(r, 100));
    rmSync(dir, { recursive: true, force: true });
  };
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    up = (await answers(tlsPort)) && (await answers(plainPort));
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) {
    const why = `postfix start failed (${started.status}): ${started.stderr.trim()} ${started.stdout.trim()} ${readLog().slice(-2000)}`;
    if (!process.env.KEEP_POSTFIX) await stop();
    if (postfixRequired()) throw new Error(`postfix: required in CI (CI=true) but did not come up: ${why}`);
    console.log(`postfix: skipped: ${why}`);
    return null;
  }

  const messages = (): Buffer[] => {
    const nd = join(mail, "new");
    if (!existsSync(nd)) return [];
    return readdirSync(nd)
      .sort()
      .map((f) => readFileSync(join(nd, f)));
  };
  return {
    tlsPort,
    plainPort,
    user,
    password,
    maildir: mail,
    dir,
    messages,
    async waitForMessages(n, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const m = messages();
        if (m.length >= n) return m;
        if (Date.now() > until) throw new Error(`postfix: ${m.length} of ${n} message(s) after ${timeoutMs} ms\n${readLog().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    log: readLog,
    stop,
  };
}

if (process.argv[1] && process.argv[1].endsWith("postfix.ts")) {
  startPostfix().then(async (p) => {
    if (!p) process.exit(1);
    console.log(JSON.stringify({ tlsPort: p.tlsPort, plainPort: p.plainPort, user: p.user, password: p.password, maildir: p.maildir }));
    if (process.argv.includes("--stop")) return p.stop();
    // `npx tsx tools/postfix/postfix.ts`: runs until Ctrl-C, then stops and removes the instance.
    console.log("postfix: running; Ctrl-C stops it");
    const keep = setInterval(() => {}, 1 << 30);
    const quit = () => {
      clearInterval(keep);
      process.exit(0); // the exit hook stops Postfix and removes its folder
    };
    process.once("SIGINT", quit);
    process.once("SIGTERM", quit);
  });
}
