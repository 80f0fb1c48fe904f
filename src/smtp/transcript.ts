// SMTP transcript for diagnostics: a Transport wrapper that logs "C: " and "S: " lines, AUTH secrets
// redacted and message content shown as its size. Opt-in and outside the client, so the board's
// bundle carries none of it unless something imports this file (the firmware does not).
import type { Transport } from "../platform/socket.ts";

/** Logs what crosses the socket: one line per command and reply line; message content as "(n bytes)". */
export function withTranscript(t: Transport, log: (line: string) => void): Transport {
  return {
    connect: function (host, port, secure, h) {
      let sIn = "";
      let cLine = "";
      /** BDAT chunk bytes still to come (RFC 3030). */
      let chunk = 0;
      /** Inside DATA content (after a 354, until the "." line); dLine = its current line. */
      let data = false;
      let dLine = "";
      /** Client lines still to redact: the answers to AUTH LOGIN's 334 prompts (RFC 4954). */
      let secret = 0;
      const sock = t.connect(host, port, secure, {
        data: function (d) {
          sIn += d;
          const lines = sIn.split("\n");
          sIn = lines.pop()!;
          lines.forEach(function (l) {
            if (l.charAt(l.length - 1) == "\r") l = l.slice(0, -1);
            log("S: " + l);
            if (l.charAt(3) == "-") return;
            const code = l.slice(0, 3);
            if (code == "354") data = true;
            if (code == "334") secret++;
          });
          h.data(d);
        },
        drain: h.drain,
        close: h.close,
        error: h.error,
      });
      return {
        write: function (s: string) {
          let content = 0;
          let rest = s;
          while (rest) {
            if (chunk) {
              const n = Math.min(chunk, rest.length);
              chunk -= n;
              rest = rest.slice(n);
            } else if (data) {
              const nl = rest.indexOf("\n");
              const piece = nl < 0 ? rest : rest.slice(0, nl + 1);
              content += piece.length;
              dLine += piece;
              rest = rest.slice(piece.length);
              if (nl >= 0) {
                if (dLine == ".\r\n") data = false;
                dLine = "";
              }
            } else {
              const nl = rest.indexOf("\n");
              if (nl < 0) {
                cLine += rest;
                break;
              }
              let l = cLine + rest.slice(0, nl);
              cLine = "";
              rest = rest.slice(nl + 1);
              if (l.charAt(l.length - 1) == "\r") l = l.slice(0, -1);
              const w = l.split(" ");
              if (secret) {
                secret--;
                l = "****";
              } else if (w[0] == "AUTH" && w.length > 2) l = w[0] + " " + w[1] + " ****";
              if (w[0] == "BDAT") chunk = +w[1];
              log("C: " + l);
            }
          }
          if (content) log("C: (" + content + " bytes)");
          sock.write(s);
        },
        end: function () {
          sock.end();
        },
      };
    },
  };
}
