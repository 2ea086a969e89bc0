/**
 * The engine room: one simulated run of a workload against a strategy (`runSimulation`),
 * what it is given and returns, and how a run's status is decided. What callers import;
 * the room's files are described in docs/architecture.md.
 *
 * @packageDocumentation
 */
export { placeRegion, protectedRegion, REGION_BASE_PFN } from "./region.ts";
export { runSimulation } from "./run.ts";
export {
  type CaughtModification,
  DEFAULT_OPERATION_BUDGET,
  type RunMetrics,
  type RunResult,
  type RunSpec,
  type StrayOutcome,
  type StrayRecord,
} from "./spec.ts";
export {
  NOTHING_SERVED,
  RUN_STATUSES,
  type RunStatus,
  runStatus,
  type ServedCounts,
  worseStatus,
} from "./status.ts";
