// The board's HTTP client: require("http").request with Espruino's quirks folded into four events
// (libs/network/socketserver.c, measured on the real 2v29 interpreter).

export interface HttpOptions {
  host: string;
  port: number;
  path: string;
  /** 1 = HTTPS (protocol "https:"), 0 = plain HTTP. */
  tls: number;
  /** Sent after Espruino's own "User-Agent: Espruino 2v29" and "Connection: close". */
  headers: { [name: string]: string | number };
}

/** What the API client hears from one request. */
export interface HttpEvents {
  /** The status line arrived (headers parsed). */
  status(code: number): void;
  /** Response body bytes (de-chunked by the board). */
  data(s: string): void;
  /** Everything written so far has been sent: write more. */
  drain(): void;
  /** Called once: null = the response ended, else a network error {code, message}. */
  done(e: { code?: number; message: string } | null): void;
}

export interface HttpRequest {
  /** The first write connects and sends the request head with it; wait for drain before the next. */
  write(s: string): void;
  end(): void;
}

export type HttpDoor = (o: HttpOptions, ev: HttpEvents) => HttpRequest;

/** mbedTLS MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY: after a whole response the server closed TLS cleanly. */
const TLS_CLOSE_NOTIFY = -30848;

/**
 * POST through the board's http module. Connect failures ("Unable to locate host", "Unable to create
 * socket") throw from the first write, and the board then fires no event: the caller catches them.
 * statusCode is a string on the board. A close without headers is an error event (-15, no response, or
 * -30848 when the server closed TLS cleanly without answering).
 */
export const boardHttp: HttpDoor = function (o, ev) {
  let over = false;
  let answered = false;
  const done = function (e: { code?: number; message: string } | null) {
    if (!over) ev.done(e);
    over = true;
  };
  const req = require("http").request(
    { protocol: o.tls ? "https:" : "http:", host: o.host, port: o.port, path: o.path, method: "POST", headers: o.headers },
    function (res: any) {
      answered = true;
      ev.status(+res.statusCode);
      res.on("data", ev.data);
      res.on("close", function () {
        done(null);
      });
    },
  );
  req.on("error", function (e: { code?: number; message: string }) {
    // A clean TLS close is an error event too: the end of a response, or a server that hung up unanswered.
    if (e.code !== TLS_CLOSE_NOTIFY || !answered) done(e);
  });
  req.on("drain", ev.drain);
  return req;
};
