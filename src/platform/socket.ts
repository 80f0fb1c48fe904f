// The board's sockets: require("tls"|"net").connect with Espruino's quirks folded into four events (shared/espruino.md §2).

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

/** The pieces of Espruino's net/tls modules the transport uses. */
export interface NetModule {
  connect(opts: { host: string; port: number }, cb: () => void): any;
}

export function createTransport(net: NetModule, tls: NetModule): Transport {
  return {
    connect: function (host, port, secure, h) {
      throw new Error("transport not built yet");
    },
  };
}

export const espruinoTransport: Transport = {
  connect: function (host, port, secure, h) {
    return createTransport(require("net"), require("tls")).connect(host, port, secure, h);
  },
};
