/**
 * A traced cell of the claims or sensitivity analysis as a runner task (reports/run): its
 * result and the profile parameters the run used (trace.ts), computed the same way in a
 * worker thread as in this one. run-cache.ts keeps them as a base cell that later
 * requests may share.
 */
import type { CellResult } from "../../../core/compare.ts";
import { type CellSpec, runCellSpec } from "./plan.ts";
import { traceParameters } from "./trace.ts";

/** A traced cell: what it computed, and which profile parameters it charged or read. */
export interface TracedCell {
  readonly cell: CellResult;
  readonly used: readonly string[];
}

/** Runs `spec` traced. */
export function runTracedSpec(spec: CellSpec): TracedCell {
  const { result, used } = traceParameters(spec.profile, (profile) =>
    runCellSpec({ ...spec, profile }),
  );
  return { cell: result, used: [...used] };
}

export default runTracedSpec;
