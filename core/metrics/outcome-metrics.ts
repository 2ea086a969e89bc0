/**
 * The metrics of what a run saw, from the engine's counters: coverage.* (strays by class
 * and outcome), compat.*, exposure.*, memory.* and the run.* bookkeeping.
 *
 * @packageDocumentation
 */
import { STRAY_CLASSES, type StrayClass } from "../contract/workload.ts";
import type { MetricSpec } from "./spec.ts";

const STRAY_DESCRIPTIONS: Record<StrayClass, string> = {
  "wild-direct": "writes to the direct-map address of a protected page, random CPU and time",
  "window-same-cpu": "stray writes from a CPU while its running thread holds a mapping open",
  "use-after-unmap": "writes through a mapping's address after it was unmapped",
  overflow: "writes just past the end of a mapped range",
  "cross-cpu-stale": "writes from another CPU through an unmapped alias it may still cache",
  "stray-read": "reads of a protected page (confidentiality)",
};

const OUTCOMES = {
  injected: { description: "injected", direction: "none" },
  blocked: { description: "blocked by a fault", direction: "higher" },
  corrupted: { description: "that reached the protected page they aimed at", direction: "lower" },
  redirected: { description: "that landed on some other page", direction: "lower" },
  faulted: {
    description: "that raised a fault (caught: blocked, or let through by a relaxed fault mode)",
    direction: "higher",
  },
} as const;

/** coverage.*, compat.*, exposure.*, memory.* and run.*, in catalog order. */
export const OUTCOME_METRICS: readonly MetricSpec[] = [
  ...STRAY_CLASSES.flatMap((cls) =>
    Object.entries(OUTCOMES).map(
      ([outcome, meta]): MetricSpec => ({
        name: `coverage.${cls}.${outcome}`,
        unit: "count",
        description: `Stray ${STRAY_DESCRIPTIONS[cls]}: ${meta.description}`,
        direction: meta.direction,
      }),
    ),
  ),
  {
    name: "coverage.injected",
    unit: "count",
    description:
      "Stray accesses injected, all classes: drawn per thread at the legitimate page accesses of the workload's stream, so the same for every strategy of a workload",
    direction: "none",
  },
  {
    name: "coverage.not_applicable",
    unit: "count",
    description:
      "Strays drawn that had no target at that point of the stream (e.g. use-after-unmap before the thread's first unmap); the same for every strategy",
    direction: "none",
  },
  {
    name: "coverage.blocked_ratio",
    unit: "ratio",
    description: "Blocked strays over injected strays, all classes",
    direction: "higher",
  },
  {
    name: "coverage.caught_ratio",
    unit: "ratio",
    description:
      "Strays that raised a fault over injected strays, all classes: detection, even where a relaxed fault mode then let the access through (compare coverage.blocked_ratio)",
    direction: "higher",
  },
  {
    name: "coverage.caught",
    unit: "count",
    description:
      "Stray writes that raised a fault (caught, even if a relaxed fault mode then let them through); attributed per CPU and operation in the run's catches",
    direction: "higher",
  },
  {
    name: "coverage.caught_oops",
    unit: "count",
    description:
      "Caught stray writes the fault handler could not fix (the kernel oopses): each one is reported, with its backtrace",
    direction: "higher",
  },
  {
    name: "coverage.caught_granted",
    unit: "count",
    description:
      "Caught stray writes the fault handler let through (PKS relaxed mode): reported only by a WARN_ONCE, i.e. once per boot (strategy.warn_once), however many there are",
    direction: "none",
  },
  {
    name: "compat.false_faults",
    unit: "count",
    description: "Legitimate accesses that faulted under the strategy",
    direction: "lower",
  },
  {
    name: "compat.false_faults_granted",
    unit: "count",
    description:
      "False faults the fault handler resolved by granting access (relaxed mode), so the access went through",
    direction: "lower",
  },
  {
    name: "compat.false_faults_oops",
    unit: "count",
    description: "False faults the fault handler could not resolve (the kernel would oops)",
    direction: "lower",
  },
  {
    name: "compat.broken_accesses",
    unit: "count",
    description: "Legitimate accesses that failed even after fault handling",
    direction: "lower",
  },
  {
    name: "compat.direct_reads",
    unit: "count",
    description:
      "Reads through the direct map with no map call (page_address() readers, page-table walkers such as GUP-fast)",
    direction: "none",
  },
  {
    name: "compat.broken_direct_reads",
    unit: "count",
    description:
      "Direct-map reads with no map call that failed (the design removed the page from the direct map); included in compat.broken_accesses",
    direction: "lower",
  },
  {
    name: "compat.unsupported_maps",
    unit: "count",
    description: "Map requests the strategy could not serve (scope or size unsupported)",
    direction: "lower",
  },
  {
    name: "compat.unsupported_unmaps",
    unit: "count",
    description: "Unmap requests the strategy refused (e.g. out of LIFO order for a local mapping)",
    direction: "lower",
  },
  {
    name: "compat.skipped_accesses",
    unit: "count",
    description:
      "Legitimate page accesses not done because the strategy refused their map (work the cell did not do)",
    direction: "lower",
  },
  {
    name: "compat.refused_page_moves",
    unit: "count",
    description:
      "Requests to move region pages in or out of protection that the strategy could not serve",
    direction: "lower",
  },
  {
    name: "exposure.fraction",
    unit: "fraction",
    description:
      "Exposure over protected page-time: page-cycles a protected page was writable by a stray, over region pages x CPUs x steady-state cycles (0 = never, 1 = always)",
    direction: "lower",
  },
  {
    name: "exposure.page_cycles",
    unit: "page-cycles",
    description:
      "Sum over CPUs of page-cycles during which a protected page was writable from that CPU by code other than its legitimate user",
    direction: "lower",
  },
  {
    name: "memory.overhead_bytes",
    unit: "bytes",
    description:
      "Extra memory the strategy made the kernel allocate (page-table pages), setup included: it stays allocated",
    direction: "lower",
  },
  {
    name: "run.operations",
    unit: "ops",
    description: "Workload-level operations completed (the denominator of cycles_per_op)",
    direction: "none",
  },
  {
    name: "run.maps",
    unit: "count",
    description: "Map requests the workload's stream made (served or refused)",
    direction: "none",
  },
  {
    name: "run.multi_page_maps",
    unit: "count",
    description: "Map requests of more than one page (a range mapped in one call)",
    direction: "none",
  },
  {
    name: "run.local_maps",
    unit: "count",
    description: "Map requests of local scope (this thread, this CPU: kmap_local_page's scope)",
    direction: "none",
  },
  {
    name: "run.simulated_cycles",
    unit: "cycles",
    description:
      "Simulated wall-clock of the steady state: the latest CPU clock at the end, from the workload's start",
    direction: "lower",
  },
  {
    name: "run.unintended_writes",
    unit: "count",
    description: "Successful writes that landed on a page other than the one their writer meant",
    direction: "lower",
  },
];
