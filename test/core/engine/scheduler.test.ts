/**
 * The scheduler's choice of the next thread on a CPU (core/engine/scheduler.ts pickThread):
 * the thread a CPU runs keeps it while it is runnable, and the others get it in run-queue
 * order when it yields or ends. pickThread finds the CPU's current thread through
 * RunState.simByThreadId (the machine's thread id -> the workload thread), so a wrong
 * entry there shows as extra switches. (Threads on other CPUs are in other run queues, so a
 * CPU cannot pick them; that needs no test here.)
 */
import { describe, expect, it } from "vitest";
import type { StrategyModule } from "../../../strategies/api.ts";
import unprotected from "../../../strategies/unprotected.ts";
import type { Operation } from "../../../workloads/api.ts";
import { runScript } from "../../helpers/sim.ts";

const compute = (count: number): Operation[] =>
  Array.from({ length: count }, (): Operation => ({ kind: "compute", cycles: 100, touches: 0 }));
const done: Operation = { kind: "complete" };
const yieldOp: Operation = { kind: "yield" };

/** The machine thread ids each context switch went to, in order, and the switch count. */
function switchTargets(lists: readonly (readonly Operation[])[], cpus = 1) {
  const targets: number[] = [];
  const strategy: StrategyModule = {
    ...unprotected,
    create: (context) => ({
      ...unprotected.create(context),
      onContextSwitch: (_cpu, _previous, next) => {
        targets.push(next.id);
      },
    }),
  };
  const result = runScript(lists, { machine: { cpus }, strategy });
  expect(result.status).toBe("ok");
  return { targets, count: result.metrics["events.context_switches"] };
}

/** How many times each thread got a CPU, sorted. */
const timesEach = (targets: readonly number[]): number[] => {
  const counts = new Map<number, number>();
  for (const id of targets) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts.values()].sort((a, b) => a - b);
};

describe("pickThread: which thread a CPU runs next", () => {
  it("keeps the current thread while it is runnable: each thread gets the CPU once", () => {
    const { targets, count } = switchTargets([
      [...compute(6), done],
      [...compute(6), done],
      [...compute(6), done],
    ]);
    expect(timesEach(targets)).toEqual([1, 1, 1]);
    expect(count).toBe(3);
  });

  it("after a yield, the thread that took the CPU keeps it to its end; the yielder comes back once", () => {
    // The first pick is the run queue's second thread (round robin after the CPU's current,
    // the idle thread), so the second script is the one that runs first and yields.
    const { targets, count } = switchTargets([
      [...compute(3), done],
      [...compute(3), yieldOp, ...compute(3), done],
      [...compute(3), done],
    ]);
    expect(timesEach(targets)).toEqual([1, 1, 2]);
    expect(count).toBe(4);
  });
});
