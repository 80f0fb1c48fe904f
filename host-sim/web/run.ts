// `npm start -- --web [PORT]`: the simulator as usual, plus the board, its log and the inbox on one
// local page (server.ts) until Ctrl-C. prepareWeb runs before the run is set up (the embedded server's
// transcripts must reach the page from the first session); serve() starts the page on the run.
import type { CliOptions, Run } from "../cli.ts";
import { createControls, type Controls } from "./controls.ts";
import { createJournal } from "./journal.ts";
import { startWebServer, type WebServer } from "./server.ts";

/** The optional PORT after --web: a number (0 = any free port), or undefined when the next word is not one. */
export function parseWebPort(word: string | undefined): number | undefined {
  if (word === undefined || !/^\d+$/.test(word)) return undefined;
  const port = Number(word);
  if (port > 65535) throw new Error(`--web PORT must be a TCP port number (0-65535), not ${word}`);
  return port;
}

export interface WebRun {
  /** Starts the page on the run and resolves at Ctrl-C (SIGINT/SIGTERM) or when stop() is called. */
  serve(run: Run, say: (s?: string) => void): Promise<void>;
  /** The page's server once serve() has started it. */
  readonly server: WebServer | null;
  stop(): void;
}

export function prepareWeb(opts: CliOptions): WebRun {
  if (opts.scenario || opts.interactive) throw new Error("--web keeps the board running for the page until Ctrl-C; it does not also play --scenario or --interactive");
  const port = opts.web ?? 0;
  let controls: Controls | null = null;
  const secrets: string[] = [];
  const journal = createJournal({ secrets });
  opts.transcript = (session, line) => {
    journal.transcript(session, line);
    controls?.onTranscript(line);
  };
  let server: WebServer | null = null;
  let stopped: (() => void) | null = null;

  return {
    get server() {
      return server;
    },
    stop() {
      stopped?.();
    },
    async serve(run, say) {
      const { board, sink, config } = run;
      // Never shown, even if something printed them: the password and its AUTH PLAIN / LOGIN encodings.
      const { user, password } = config.smtp;
      if (password) {
        secrets.push(password, Buffer.from(password).toString("base64"), Buffer.from(`\0${user}\0${password}`).toString("base64"), Buffer.from(`${user}\0${user}\0${password}`).toString("base64"));
      }
      journal.attach(board, () => sink?.messages ?? []);
      // What the board printed before the page existed (the boot), then every line as it comes.
      for (const l of board.output) journal.line(l, run.bootAt);
      board.onOutput((l) => journal.line(l));
      controls = createControls(board, sink, config, () => journal.changed());
      server = await startWebServer({ board, sink, config, journal, controls, runDir: run.runDir }, port);
      say();
      say(`web: the board, its log and the inbox on ${server.url}  (127.0.0.1 only; Ctrl-C stops the simulator)`);
      await new Promise<void>((resolve) => {
        const done = () => {
          process.off("SIGINT", done);
          process.off("SIGTERM", done);
          stopped = null;
          resolve();
        };
        stopped = done;
        process.on("SIGINT", done);
        process.on("SIGTERM", done);
      });
      await server.close();
      say("web: stopped");
    },
  };
}
