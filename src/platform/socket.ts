// The board's sockets: require("tls"|"net").connect with Espruino's quirks folded into four events (docs/espruino.md §2).

/** What the session hears from a socket. */
export interface SocketHandlers {
  data(s: string): void;
  drain(): void;
  close(hadError: boolean): void;
  error(e: { code?: number; message: string }): void;
}

export interface Socket {
  write(s: string): void;
  end(): void;
}

export interface Transport {
  /** Opens a connection; throws synchronously when the board cannot (like require("net").connect). */
  connect(host: string, port: number, secure: boolean, h: SocketHandlers): Socket;
}

/** The part of Espruino's net/tls modules the transport uses. */
export interface NetModule {
  connect(opts: { host: string; port: number }, cb: () => void): any;
}

/** mbedTLS MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY: the server closed the TLS session cleanly. */
const TLS_CLOSE_NOTIFY = -30848;

/**
 * A Transport over Espruino-style net/tls modules (the board's, or the simulator's emulation), chosen
 * per connection by module(secure). Connect failures throw synchronously; data may come before the
 * connect callback (so it is not waited for); a clean TLS close (-30848) is not an error; close fires
 * once. The board's socket (write, end) is the returned Socket.
 */
export function createTransport(module: (secure: boolean) => NetModule): Transport {
  return {
    connect: function (host, port, secure, h) {
      let closed = false;
      const s = module(secure).connect({ host: host, port: port }, function () {});
      s.on("data", h.data);
      s.on("drain", h.drain);
      s.on("error", function (e: { code?: number; message: string }) {
        if (e.code !== TLS_CLOSE_NOTIFY) h.error(e);
      });
      s.on("close", function (hadError: any) {
        if (!closed) h.close(!!hadError);
        closed = true;
      });
      return s;
    },
  };
}

/** The board's transport; the module is required at connect time (a board without TLS still boots). */
export const espruinoTransport = createTransport(function (secure) {
  return secure ? require("tls") : require("net");
});
