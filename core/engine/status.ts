/**
 * How a run went: its status, and the served counts the status follows from.
 *
 * @packageDocumentation
 */

/**
 * How a run (or a cell) went, from best to worst: `ok`, every map, unmap and legitimate
 * access served; `partial`, some refused or broken; `unsupported`, the strategy could do
 * none of the workload's work (its setup refused the region, or it refused every map);
 * `failed`, the kernel would have oopsed, an invariant broke, or plugin code threw.
 */
export const RUN_STATUSES = ["ok", "partial", "unsupported", "failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What a strategy served of the work a workload asked for, summed over a run. */
export interface ServedCounts {
  /** Map requests made by the workload's stream. */
  readonly maps: number;
  readonly refusedMaps: number;
  readonly refusedUnmaps: number;
  /** Legitimate accesses that failed even after fault handling. */
  readonly brokenAccesses: number;
  /** Faults the kernel would have oopsed on (a strict fault mode). */
  readonly oopses: number;
  /** Legitimate page accesses left undone because their map was refused. */
  readonly skippedAccesses: number;
  /** protect-pages / release-pages requests the strategy could not serve. */
  readonly refusedPageMoves: number;
}

/** Counts of a run that served nothing (it never started). */
export const NOTHING_SERVED: ServedCounts = {
  maps: 0,
  refusedMaps: 0,
  refusedUnmaps: 0,
  brokenAccesses: 0,
  oopses: 0,
  skippedAccesses: 0,
  refusedPageMoves: 0,
};

/** The status that served counts imply (see {@link RunStatus}). */
export function runStatus(served: ServedCounts): RunStatus {
  if (served.oopses > 0) return "failed";
  if (served.maps > 0 && served.refusedMaps === served.maps) return "unsupported";
  if (
    served.refusedMaps > 0 ||
    served.refusedUnmaps > 0 ||
    served.brokenAccesses > 0 ||
    served.skippedAccesses > 0 ||
    served.refusedPageMoves > 0
  ) {
    return "partial";
  }
  return "ok";
}

/** The worse of two statuses. */
export function worseStatus(a: RunStatus, b: RunStatus): RunStatus {
  return RUN_STATUSES.indexOf(a) >= RUN_STATUSES.indexOf(b) ? a : b;
}
