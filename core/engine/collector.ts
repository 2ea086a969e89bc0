/**
 * The metrics collector: the ledger's snapshot at the end of setup, and at the end of the
 * run the steady-state metrics (cost, events, setup), coverage, compatibility, exposure,
 * the served counts and the status. Every metric it emits is declared in core/metrics.ts.
 *
 * @packageDocumentation
 */
import { ledgerViolations } from "../invariants.ts";
import { COST_CATEGORIES, EVENT_NAMES, Ev } from "../ledger.ts";
import { CONFIDENCE_LEVELS } from "../profile.ts";
import type { RunMetrics, RunResult } from "./spec.ts";
import type { Counters, LedgerSnapshot, RunState } from "./state.ts";
import { runStatus, type ServedCounts } from "./status.ts";

/** The coverage and compat metrics that are one counter each, in catalog order. */
const COUNTER_METRICS: readonly (readonly [string, keyof Counters])[] = [
  ["coverage.caught", "caught"],
  ["coverage.caught_oops", "caughtOops"],
  ["coverage.caught_granted", "caughtGranted"],
  ["compat.false_faults", "falseFaults"],
  ["compat.false_faults_granted", "falseFaultsGranted"],
  ["compat.false_faults_oops", "falseFaultsOops"],
  ["compat.broken_accesses", "brokenAccesses"],
  ["compat.direct_reads", "directReads"],
  ["compat.broken_direct_reads", "brokenDirectReads"],
  ["compat.unsupported_maps", "unsupportedMaps"],
  ["compat.unsupported_unmaps", "unsupportedUnmaps"],
  ["compat.skipped_accesses", "skippedAccesses"],
  ["compat.refused_page_moves", "refusedPageMoves"],
];

/** The ledger's totals now (at the end of setup). */
export function snapshotLedger(ledger: RunState["ledger"]): LedgerSnapshot {
  const categories = new Float64Array(COST_CATEGORIES.length);
  COST_CATEGORIES.forEach((_, index) => {
    categories[index] = ledger.categoryTotal(index);
  });
  return {
    total: ledger.totalCycles(),
    categories,
    events: ledger.events.slice(),
    parameters: ledger.parameterCycles.slice(),
    derived: ledger.derivedCycles,
  };
}

/**
 * The end of a run whose stream is done: mappings still open are closed (so protection
 * is back), exposure settled, the end-of-run invariants checked, and the result built.
 */
export function finishRun(run: RunState): RunResult {
  const { machine, checking, violations } = run;
  // Mappings still open at the end (e.g. long-term) are closed so that protection is back.
  for (const mapping of run.live.values()) {
    run.hooks.onUnmap?.({
      cpu: mapping.thread.cpu,
      thread: mapping.thread,
      mapping: mapping.mapping,
    });
  }
  machine.settleExposure();
  if (checking) {
    for (const [name, outcome] of run.coverage) {
      if (outcome.injected !== outcome.blocked + outcome.corrupted + outcome.redirected) {
        run.violation(
          `stray class ${name}: ${outcome.injected} injected but outcomes sum to ${outcome.blocked + outcome.corrupted + outcome.redirected}`,
        );
      }
    }
  }
  // The ledger's consistency is checked on every run, not only with checking on: it is
  // cheap (end of run) and catches costs charged outside the model (a plugin writing
  // ledger arrays).
  for (const message of ledgerViolations(machine)) run.violation(message);

  const metrics: RunMetrics = {};
  costMetrics(run, metrics);
  outcomeMetrics(run, metrics);
  const extra = run.hooks.onFinish?.() ?? {};
  for (const [name, value] of Object.entries(extra)) metrics[`strategy.${name}`] = value;
  const { counters } = run;
  const served: ServedCounts = {
    maps: counters.maps,
    refusedMaps: counters.unsupportedMaps,
    refusedUnmaps: counters.unsupportedUnmaps,
    brokenAccesses: counters.brokenAccesses,
    oopses: counters.oopses,
    skippedAccesses: counters.skippedAccesses,
    refusedPageMoves: counters.refusedPageMoves,
  };
  const status = runStatus(served);
  const caught = [...run.catches.values()].sort(
    (a, b) => a.cpu - b.cpu || a.stray.localeCompare(b.stray) || a.during.localeCompare(b.during),
  );
  const reasons = run.unsupportedReasons;
  return {
    status,
    reason: reasons.size > 0 ? [...reasons].sort().join("; ") : undefined,
    metrics,
    served,
    catches: caught,
    ...(checking || violations.length > 0 ? { violations } : {}),
    ...(run.recordLimit > 0 ? { strays: run.strayLog } : {}),
  };
}

/** cost.*, events.* and setup.*: the steady state is the ledger minus its setup snapshot. */
function costMetrics(run: RunState, metrics: RunMetrics): void {
  const { ledger } = run;
  const setup = run.setup as LedgerSnapshot;
  const steadyCycles = ledger.totalCycles() - setup.total;
  const operations = Math.max(1, run.counters.operations);
  metrics["cost.total_cycles"] = steadyCycles;
  metrics["cost.cycles_per_op"] = steadyCycles / operations;
  const byCategory = ledger.byCategory();
  COST_CATEGORIES.forEach((name, index) => {
    metrics[`cost.cycles.${name}`] = byCategory[name] - setup.categories[index];
  });
  // How much of the steady-state cost rests on parameters of each confidence, and on
  // simulated time (lock spinning, IPI waits, the workload's own compute).
  const byConfidence = new Map<string, number>(CONFIDENCE_LEVELS.map((level) => [level, 0]));
  const byParameter = new Map<string, number>();
  ledger.parameters.forEach((source, id) => {
    const cycles = ledger.parameterCycles[id] - (setup.parameters[id] ?? 0);
    const level = source.parameter.confidence;
    byConfidence.set(level, (byConfidence.get(level) ?? 0) + cycles);
    if (cycles > 0) byParameter.set(source.name, (byParameter.get(source.name) ?? 0) + cycles);
  });
  for (const level of CONFIDENCE_LEVELS) {
    metrics[`cost.confidence.${level}`] = byConfidence.get(level) ?? 0;
  }
  metrics["cost.confidence.simulated"] = ledger.derivedCycles - setup.derived;
  for (const [name, cycles] of byParameter) metrics[`cost.param.${name}`] = cycles;
  const events = ledger.eventCounts();
  EVENT_NAMES.forEach((name, index) => {
    metrics[`events.${name}`] = events[name] - setup.events[index];
  });
  metrics["setup.cycles"] = setup.total;
  metrics["setup.shootdowns"] = setup.events[Ev.shootdowns];
  metrics["setup.ipis"] = setup.events[Ev.ipis];
  metrics["setup.direct_map_splits"] = setup.events[Ev.direct_map_splits];
  metrics["setup.pt_allocs"] = setup.events[Ev.pt_allocs];
}

/** coverage.*, compat.*, exposure.*, memory.* and run.*: what the run's counters saw. */
function outcomeMetrics(run: RunState, metrics: RunMetrics): void {
  const { counters, ledger, machine } = run;
  let injected = 0;
  let blocked = 0;
  for (const [name, outcome] of run.coverage) {
    metrics[`coverage.${name}.injected`] = outcome.injected;
    metrics[`coverage.${name}.blocked`] = outcome.blocked;
    metrics[`coverage.${name}.corrupted`] = outcome.corrupted;
    metrics[`coverage.${name}.redirected`] = outcome.redirected;
    metrics[`coverage.${name}.faulted`] = outcome.faulted;
    injected += outcome.injected;
    blocked += outcome.blocked;
  }
  metrics["coverage.injected"] = injected;
  metrics["coverage.not_applicable"] = counters.strayNotApplicable;
  metrics["coverage.blocked_ratio"] = injected > 0 ? blocked / injected : 0;
  metrics["coverage.caught_ratio"] = injected > 0 ? counters.faultedStrays / injected : 0;
  for (const [name, counter] of COUNTER_METRICS) metrics[name] = counters[counter];
  // Exposure: page-cycles over the protected page-time of the steady state (every region
  // page, on every CPU, from the workload's start to that CPU's last cycle).
  const exposure = machine.totalExposure();
  let cpuTime = 0;
  for (let cpu = 0; cpu < machine.cpus; cpu++) cpuTime += ledger.clock[cpu] - run.workloadStart;
  const pageTime = run.region.pfns.length * cpuTime;
  metrics["exposure.page_cycles"] = exposure;
  metrics["exposure.fraction"] = pageTime > 0 ? Math.min(1, exposure / pageTime) : 0;
  // Page-table pages stay allocated: setup's count towards the memory a strategy costs.
  metrics["memory.overhead_bytes"] = ledger.events[Ev.pt_allocs] * 4096;
  metrics["run.operations"] = counters.operations;
  metrics["run.maps"] = counters.maps;
  metrics["run.multi_page_maps"] = counters.multiPageMaps;
  metrics["run.local_maps"] = counters.localMaps;
  metrics["run.simulated_cycles"] = Math.max(...ledger.clock) - run.workloadStart;
  metrics["run.unintended_writes"] = ledger.unintendedWrites.length;
}
