// Errors shaped like Espruino's built-in ones: a plain object with `type` and `message` (not an
// `instanceof Error`, no `.name`), printed as "InternalError: Unable to create socket".
export type BoardErrorType = "Error" | "InternalError" | "TypeError" | "ReferenceError" | "SyntaxError" | "RangeError";

export interface BoardError {
  type: BoardErrorType;
  message: string;
  toString(): string;
}

/** Marks host-side errors so the board can print them the way Espruino prints uncaught ones. */
export const BOARD_ERROR = Symbol.for("alertmail.sim.boardError");

export function boardError(type: BoardErrorType, message: string): BoardError {
  const e: BoardError = {
    type,
    message,
    toString() {
      return `${type}: ${message}`;
    },
  };
  Object.defineProperty(e, BOARD_ERROR, { value: true });
  // Keep a host stack out of sight (non-enumerable) to debug the simulator itself.
  Object.defineProperty(e, "hostStack", { value: new Error(message).stack });
  return e;
}

export function isBoardError(e: unknown): e is BoardError {
  return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[BOARD_ERROR] === true;
}
