// A self-signed RSA certificate for 127.0.0.1, made once with `selfsigned` and cached in the
// git-ignored host-sim/.state/ so every embedded SMTP server (sim, tests, bench) reuses it.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "selfsigned";

export const STATE_DIR = join(dirname(fileURLToPath(import.meta.url)), ".state");
const CERT_FILE = join(STATE_DIR, "cert.json");

export interface SimCert {
  /** PEM private key (RSA 2048). */
  key: string;
  /** PEM certificate, CN=127.0.0.1, SAN IP 127.0.0.1 and DNS localhost. */
  cert: string;
}

let pending: Promise<SimCert> | null = null;

function readCached(file: string): SimCert | null {
  if (!existsSync(file)) return null;
  try {
    const c = JSON.parse(readFileSync(file, "utf8")) as SimCert & { notAfter?: number };
    if (typeof c.key !== "string" || typeof c.cert !== "string") return null;
    if (c.notAfter !== undefined && c.notAfter < Date.now() + 86400e3) return null;
    return { key: c.key, cert: c.cert };
  } catch {
    return null;
  }
}

async function makeCert(file: string): Promise<SimCert> {
  const notBefore = new Date(Date.now() - 86400e3);
  const notAfter = new Date(Date.now() + 5 * 365 * 86400e3);
  const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keyType: "rsa",
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
    ],
  });
  const cert: SimCert = { key: pems.private, cert: pems.cert };
  mkdirSync(dirname(file), { recursive: true });
  // Several test processes may race here: write a private temp file, then rename atomically.
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...cert, notAfter: notAfter.getTime() }));
  renameSync(tmp, file);
  return cert;
}

/** The simulator's TLS certificate: read from host-sim/.state/cert.json, generated on first use. */
export function getSimCert(opts: { file?: string } = {}): Promise<SimCert> {
  const file = opts.file ?? CERT_FILE;
  if (file !== CERT_FILE) return Promise.resolve(readCached(file) ?? makeCert(file));
  if (!pending) {
    const cached = readCached(file);
    pending = cached ? Promise.resolve(cached) : makeCert(file);
    pending.catch(() => (pending = null));
  }
  return pending;
}
