// FlashError: a refusal or failure of `npm run flash`, with a code tests check and words a user can act on.

export type FlashErrorCode =
  | "ECONFIG" // board.json invalid
  | "EBUILD" // firmware/app.js did not build
  | "ENOPORT" // serial device or host does not exist
  | "EACCES" // serial port permission denied
  | "ECONNREFUSED" // tcp console refused the connection
  | "ECONNECT" // other failure to open the link
  | "ENOREPLY" // nothing answered like Espruino
  | "EBOARD" // not an ESP32
  | "ENOTLS" // firmware without the tls module
  | "ESTORAGE" // not enough free Storage
  | "ENOCODE" // --config-only on a board without .bootcde
  | "EWRITE" // a step failed on the board
  | "ECLOSED" // the link closed mid-flash
  | "EBOOT"; // no boot line after the restart

export class FlashError extends Error {
  constructor(
    readonly code: FlashErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "FlashError";
  }
}
