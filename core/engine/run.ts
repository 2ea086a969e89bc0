/**
 * One run: the run state made, the strategy's setup, the workload started, the run loop,
 * the result collected.
 *
 * @packageDocumentation
 */

import { finishRun, snapshotLedger } from "./collector.ts";
import { execute } from "./interpreter.ts";
import { closeEntries } from "./lifetime.ts";
import { startPageTables } from "./page-tables.ts";
import { idleCpu, pickThread, runKworker, startThreads, switchTo } from "./scheduler.ts";
import type { RunResult, RunSpec } from "./spec.ts";
import { RunState } from "./state.ts";
import { NOTHING_SERVED } from "./status.ts";
import { startStrays } from "./strays.ts";

/**
 * Runs one workload against one strategy on a fresh machine. CPUs are interleaved by
 * simulated time: the CPU with the earliest clock runs its current thread's next
 * operation, so cross-CPU effects (IPIs, stale TLB windows, lock waits) happen in time
 * order at operation granularity.
 */
export function runSimulation(spec: RunSpec): RunResult {
  const run = new RunState(spec);
  const setupOutcome = run.hooks.onSetup?.(run.region);
  if (setupOutcome && setupOutcome.kind === "unsupported") {
    return {
      status: "unsupported",
      reason: setupOutcome.reason,
      metrics: {},
      served: { ...NOTHING_SERVED },
    };
  }
  // Setup is boot-time work (keying the region, its splits and flushes): reported apart as
  // setup.*, and subtracted from cost.*/events.*, which count the steady state only.
  run.setup = snapshotLedger(run.ledger);
  // Every CPU starts the workload together when setup is done, so the CPU that did the
  // setup does not start behind the others.
  run.machine.beginWorkload();
  run.workloadStart = run.ledger.clock[0];
  startThreads(run);
  startStrays(run);
  startPageTables(run);
  if (!runLoop(run)) {
    return {
      status: "failed",
      reason: `operation budget of ${run.budget} exceeded`,
      metrics: {},
      served: { ...NOTHING_SERVED },
    };
  }
  return finishRun(run);
}

/**
 * The run loop: always advance the CPU with the earliest clock that has work (ties: the
 * CPU that joined the scheduling set first). Returns false when the operation budget ran
 * out. A function of its own, so that V8 optimizes (and, after a deoptimization,
 * re-optimizes) it without the run's set-up code around it.
 */
function runLoop(run: RunState): boolean {
  const { active, machine, counters, budget } = run;
  while (active.size > 0) {
    const cpu = active.earliest();
    const earliest = machine.now(cpu);
    if (machine.hasQueuedWork(cpu)) {
      runKworker(run, cpu);
      continue;
    }
    const sim = pickThread(run, cpu);
    if (!sim) {
      idleCpu(run, cpu, earliest);
      continue;
    }
    if (machine.current[cpu] !== sim.thread) switchTo(run, cpu, sim.thread);
    sim.waitingFor = -1;
    const next = sim.ops.next();
    if (next.done) {
      sim.done = true;
      closeEntries(run, cpu, sim);
      continue;
    }
    if (++counters.executed > budget) return false;
    execute(run, cpu, sim, next.value);
  }
  return true;
}
