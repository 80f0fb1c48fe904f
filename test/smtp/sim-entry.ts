// Board program for test/smtp/simulator.test.ts: joins the simulated WiFi, then sends the mails the
// test baked in (SMTP_SIM, an esbuild define) with the real client, transport and timers, and prints
// the outcome. Runs in the simulator exactly as the firmware would.
import { composeMessage } from "../../src/mime/compose.ts";
import { espruinoTransport } from "../../src/platform/socket.ts";
import { boardTimers } from "../../src/platform/timers.ts";
import { createSmtpClient } from "../../src/smtp/client.ts";

declare const SMTP_SIM: { port: number; user: string; password: string; keepAliveMs: number; subjects: string[]; text: string };
declare function require(name: string): any;
declare const console: { log(...a: any[]): void };

require("Wifi").connect("sim-ap", { password: "sim-pass" }, function (err: any) {
  if (err) return console.log("smtp-sim: wifi " + err);
  const client = createSmtpClient(
    {
      host: "127.0.0.1",
      port: SMTP_SIM.port,
      security: "tls",
      user: SMTP_SIM.user,
      password: SMTP_SIM.password,
      trustedRelay: false,
      helo: "board.local",
      keepAliveSeconds: SMTP_SIM.keepAliveMs / 1000,
      timeoutSeconds: 10,
    },
    espruinoTransport,
    boardTimers,
  );
  const mails = SMTP_SIM.subjects.map(function (subject, i) {
    const content = {
      from: { name: "Board", address: "board@x.test" },
      to: [{ name: "Anna", address: "anna@y.test" }],
      cc: [],
      subject: subject,
      text: SMTP_SIM.text,
      messageId: "sim" + i + "@board.local",
    };
    return { from: "board@x.test", to: ["anna@y.test"], body: function () { return composeMessage(content); } };
  });
  client.send(mails, function (e, results) {
    if (e) return console.log("smtp-sim: failed " + e.code + " " + e.message);
    console.log("smtp-sim: sent " + results.length + " " + results.map(function (r) { return r.error ? r.error.code : r.response.split(" ")[0]; }).join(","));
    client.close();
  });
});
