/**
 * A cell of the claims or sensitivity analysis as a runner task (reports/run): the default export is what a worker thread
 * calls; run-cache.ts calls the same function (runCellSpec) in this thread.
 */
import { type CellSpec, runCellSpec } from "./plan.ts";

export default (spec: CellSpec) => runCellSpec(spec);
