// Builders for the bench report tests: a timed trial and one client's side of a cell.
import type { Trial } from "../../bench/measure.ts";
import type { Side } from "../../bench/report.ts";

export const t = (ms: number, flightsAfterTls: number, newConnections = 1): Trial => ({
  ms,
  flightsAfterTls,
  newConnections,
  flights: flightsAfterTls + 2 * newConnections,
  connectMs: newConnections ? 5 : null,
});
export const side = (trials: Trial[]): Side => ({ trials, errors: [] });
