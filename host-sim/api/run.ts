// `npm start` with an api section: the embedded HTTPS mock of the chosen provider, the firmware pointed at
// it (host, port; TLS kept), and every mail it accepts added to the SMTP sink's inbox (same list, same
// numbered .eml files), so the run reports API deliveries exactly like SMTP ones. With --real (no sink)
// the firmware talks to the provider itself with the key from board.json.
import type { ApiSettings } from "../../src/api/settings.ts";
import type { DeviceConfig } from "../../src/config.ts";
import type { ReceivedMail, SmtpSink } from "../smtp-sink.ts";
import { startApiSink, type ApiSink, type ApiSinkOptions } from "./api-sink.ts";
import type { ProviderName } from "./providers.ts";

/** The mock's expectations, read back from the compiled preset (the key as the preset presents it). */
export function sinkOptionsFor(api: ApiSettings): Omit<ApiSinkOptions, "dir" | "onMessage" | "nextIndex"> {
  const h = api.headers;
  const auth = String(h.Authorization ?? "");
  const provider = api.provider as ProviderName;
  let key = "";
  if (provider === "postmark") key = String(h["X-Postmark-Server-Token"] ?? "");
  else if (provider === "mailgun") key = Buffer.from(auth.replace(/^Basic\s+/, ""), "base64").toString("utf8").replace(/^api:/, "");
  else key = auth.replace(/^Bearer\s+/, "");
  const domain = /^\/v3\/([^/]+)\/messages$/.exec(api.path)?.[1];
  const generic = Object.keys(h).find((k) => !/^(content-type|accept|host)$/i.test(k));
  return { provider, key, domain: domain && decodeURIComponent(domain), path: api.path, header: generic ? `${generic}: ${h[generic]}` : undefined };
}

type ApiConfig = DeviceConfig & { api?: ApiSettings };

/**
 * Starts the provider's mock beside the SMTP sink and points config.api at it; returns the config to
 * install. The mock is closed with the sink.
 */
export async function apiForRun(config: ApiConfig, sink: SmtpSink | null, mailDir: string, onMessage: (m: ReceivedMail) => void, say: (s: string) => void): Promise<ApiConfig> {
  const api = config.api;
  if (!api) return config;
  const where = `${api.tls ? "https" : "http"}://${api.host}${api.port === (api.tls ? 443 : 80) ? "" : `:${api.port}`}${api.path}`;
  if (!sink) {
    say(`--real: the firmware sends through the ${api.provider} API at ${where} with the key from board.json.`);
    return config;
  }
  const mock: ApiSink = await startApiSink({
    ...sinkOptionsFor(api),
    dir: mailDir,
    nextIndex: () => sink.messages.length + 1,
    onMessage: (m) => {
      sink.messages.push(m);
      onMessage(m);
    },
  });
  const close = sink.close.bind(sink);
  sink.close = async () => {
    await mock.close();
    await close();
  };
  say(`embedded ${api.provider} API mock on https://127.0.0.1:${mock.port}${api.path} (checks the request as ${api.provider} documents it; answers as it does)`);
  say(`NOTE: the firmware is pointed at 127.0.0.1:${mock.port} instead of ${where}; use --real to send through ${api.provider} with your key.`);
  return { ...config, api: { ...api, host: "127.0.0.1", port: mock.port, tls: 1 } };
}
