/**
 * The scheduler: the workload's threads on their CPUs' run queues, which thread a CPU
 * runs next, idle CPUs, kworkers, and the operations that move threads (yield, sleep,
 * wait-for, migrate). Which CPU runs next is the simulated-time order of `RunState.active`
 * (cpu-queue.ts); the run loop in run.ts asks this file the rest.
 *
 * @packageDocumentation
 */
import { Ev } from "../ledger.ts";
import type { Thread } from "../machine/index.ts";
import { Rng } from "../rng.ts";
import type { Op, RunState, SimThread } from "./state.ts";

/** PRNG stream ids of thread i's stray schedule and compute touches: STREAM + i. */
const STRAY_STREAM = 2_000_003;
const COMPUTE_STREAM = 3_000_007;

/** The workload's threads made: thread i starts on CPU i mod cpus, in its run queue. */
export function startThreads(run: RunState): void {
  const { machine, spec } = run;
  const threadCount = spec.workload.threads(spec.workloadParams, machine.cpus);
  for (let i = 0; i < threadCount; i++) {
    const cpu = i % machine.cpus;
    const thread = machine.createThread(cpu);
    const ops = spec.workload
      .generate({
        thread: i,
        threads: threadCount,
        cpus: machine.cpus,
        rng: Rng.derive(spec.seed, i),
        params: spec.workloadParams,
        strategyMapsRanges: spec.strategy.mapsRanges ?? false,
        // page_address() reads need the pages in the direct map (not high memory).
        strategyDirectMapReads: (spec.strategy.directMapReads ?? false) && run.regionDirectMapped,
        region: run.regionSpec,
      })
      [Symbol.iterator]();
    const sim: SimThread = {
      thread,
      ops,
      entries: [],
      sleepingUntil: 0,
      waitingFor: -1,
      done: false,
      completed: 0,
      protectedPages: 0,
      unmapped: [],
      strayRng: Rng.derive(spec.seed, STRAY_STREAM + i),
      computeRng: Rng.derive(spec.seed, COMPUTE_STREAM + i),
    };
    run.simThreads.push(sim);
    run.runQueues[cpu].push(sim);
  }
  for (let id = 0; id < machine.threads.length; id++) run.simByThreadId.push(undefined);
  for (const sim of run.simThreads) run.simByThreadId[sim.thread.id] = sim;
  run.idle = machine.current.slice();
  for (let cpu = 0; cpu < machine.cpus; cpu++) {
    if (run.runQueues[cpu].length > 0) run.active.add(cpu);
  }
}

function runnable(run: RunState, sim: SimThread, cpu: number): boolean {
  return (
    !sim.done &&
    sim.sleepingUntil <= run.machine.now(cpu) &&
    (sim.waitingFor < 0 || run.intendedLive.has(sim.waitingFor))
  );
}

/** Switches `cpu` to `next` (no-op when it already runs it), telling the strategy. */
export function switchTo(run: RunState, cpu: number, next: Thread): void {
  const previous = run.machine.current[cpu];
  if (previous === next) return;
  run.machine.contextSwitch(cpu, next);
  run.hooks.onContextSwitch?.(cpu, previous, next);
}

/** Picks the thread `cpu` runs next: the current one if runnable, else round robin. */
export function pickThread(run: RunState, cpu: number): SimThread | undefined {
  const queue = run.runQueues[cpu];
  const currentSim = run.simByThreadId[run.machine.current[cpu].id];
  if (currentSim && currentSim.thread.cpu === cpu && runnable(run, currentSim, cpu)) {
    return currentSim;
  }
  for (let i = 0; i < queue.length; i++) {
    const candidate = queue[(i + 1) % queue.length];
    if (runnable(run, candidate, cpu)) return candidate;
  }
  return undefined;
}

/**
 * Deferred kernel work (schedule_work(), e.g. vmalloc's drain_vmap_work) runs in this
 * CPU's kworker, a thread of its own, at the next operation boundary.
 */
export function runKworker(run: RunState, cpu: number): void {
  switchTo(run, cpu, run.machine.kworker(cpu));
  run.machine.runQueuedWork(cpu);
}

/**
 * `cpu` has no runnable thread: it leaves the scheduling set when its threads are all
 * done, ends them when everyone waits for a mapping nobody will make, or idles until the
 * next wake-up (or a little while, if waiting on another thread).
 */
export function idleCpu(run: RunState, cpu: number, earliest: number): void {
  const queue = run.runQueues[cpu];
  let allDone = true;
  let wake = Number.POSITIVE_INFINITY;
  for (const other of queue) {
    if (other.done) continue;
    allDone = false;
    if (other.sleepingUntil > earliest && other.sleepingUntil < wake) wake = other.sleepingUntil;
  }
  if (allDone) {
    run.active.removeEarliest();
    return;
  }
  const waitingOnly = !Number.isFinite(wake);
  if (waitingOnly && run.active.every((other) => other === cpu || !pickThread(run, other))) {
    // Everyone is waiting for a mapping nobody will make.
    for (const other of queue) other.done = true;
    return;
  }
  run.ledger.clock[cpu] = waitingOnly ? earliest + 1000 : wake;
}

/** The thread gives its CPU to the next runnable thread of the run queue. */
export function yieldOp(run: RunState, cpu: number, sim: SimThread): void {
  const queue = run.runQueues[cpu];
  const others = queue.filter((other) => other !== sim && runnable(run, other, cpu));
  if (others.length > 0) switchTo(run, cpu, others[0].thread);
  // Rotate so that round robin continues after this thread.
  queue.push(queue.splice(queue.indexOf(sim), 1)[0]);
}

/** The thread sleeps for `op.cycles` of its CPU's clock. */
export function sleepOp(run: RunState, cpu: number, sim: SimThread, op: Op<"sleep">): void {
  sim.sleepingUntil = run.machine.now(cpu) + op.cycles;
}

/** The thread waits until another thread's stream maps `op.handle`. */
export function waitForOp(run: RunState, sim: SimThread, op: Op<"wait-for">): void {
  if (!run.intendedLive.has(op.handle)) sim.waitingFor = op.handle;
}

/** The thread moves to another CPU (not while migration is disabled). */
export function migrateOp(run: RunState, cpu: number, sim: SimThread, op: Op<"migrate">): void {
  const { machine } = run;
  const thread = sim.thread;
  const target = op.cpu % machine.cpus;
  if (target === cpu) return;
  if (thread.migrateDisable > 0) {
    // migrate_disable(): migrate_disable_switch() pins the task's cpus_ptr to this CPU
    // and migration_cpu_stop() skips a task with is_migration_disabled(), so it is simply
    // not moved: no switch away and back (kernel/sched/core.c, 6.1).
    run.ledger.count(Ev.migrations_deferred);
    return;
  }
  // The thread must be off the CPU to move: switch to another thread or idle.
  const queue = run.runQueues[cpu];
  const next = queue.find((other) => other !== sim && runnable(run, other, cpu));
  switchTo(run, cpu, next ? next.thread : run.idle[cpu]);
  if (machine.migrate(thread, target)) {
    queue.splice(queue.indexOf(sim), 1);
    run.runQueues[target].push(sim);
    // The target may have run out of work and left the scheduling set.
    run.active.add(target);
    run.hooks.onMigrate?.(thread, cpu, target);
  } else {
    switchTo(run, cpu, thread);
  }
}
