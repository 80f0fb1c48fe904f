// Bundle entry for test/smtp/bundle.test.ts: the SMTP client and its platform pieces, as the firmware uses them.
import { espruinoTransport } from "../../src/platform/socket.ts";
import { boardTimers } from "../../src/platform/timers.ts";
import { createSmtpClient } from "../../src/smtp/client.ts";

(globalThis as any).smtp = function (o: any) {
  return createSmtpClient(o, espruinoTransport, boardTimers);
};
