import { describe, expect, it } from "vitest";
import { loadProfile } from "../../core/profile.ts";
import { VALIDATION_CASES } from "../../reports/analyses/validate/cases.ts";
import measureCases from "../../reports/analyses/validate/validate-case.ts";
import { autoJobs, outOfMemory, runTasks } from "../../reports/run/pool.ts";
import type { ThreadStats } from "../../reports/run/steal.ts";
import { type BatchPool, runBatch, runStolen, type StealTask } from "../../reports/run/steal.ts";
import {
  type BatchTask,
  type ModuleTask,
  taskModule,
  type WorkerTask,
} from "../../reports/run/tasks.ts";

/** Task `n` squares its input; a worker computes it from the task's data alone. */
const square = (n: number): StealTask<number> => ({
  task: { kind: "module", module: "square", input: n },
  here: () => n * n,
});
const inputOf = (task: WorkerTask): number => Number((task as ModuleTask).input);

/** A pool whose "workers" run their batch in this thread (the counter and ports are real). */
const inProcess = (run: (task: WorkerTask) => Promise<unknown>): BatchPool => ({
  run: (batch: BatchTask) => runBatch(batch, run),
});

const squares = (count: number) => Array.from({ length: count }, (_, n) => square(n));

describe("runStolen (threads claiming tasks from one counter)", () => {
  it("returns every result by task index, each task heard once, whoever ran it", async () => {
    const heard: number[] = [];
    const pool = inProcess(async (task) => {
      await new Promise((resolve) => setImmediate(resolve));
      const n = inputOf(task);
      return n * n;
    });
    const { results, stats } = await runStolen(
      pool,
      2,
      squares(40),
      (index) => heard.push(index),
      outOfMemory,
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, n) => n * n));
    expect([...heard].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(stats.mainTasks + stats.workerTasks).toBe(40);
    expect(stats.workerTasks).toBeGreaterThan(0);
  });

  it("does not wait for a worker that never starts once this thread has done everything", async () => {
    const never: BatchPool = { run: () => new Promise(() => {}) };
    const { results, stats } = await runStolen(never, 1, squares(5), undefined, outOfMemory);
    expect(results).toEqual([0, 1, 4, 9, 16]);
    expect(stats.workerTasks).toBe(0);
  });

  it("runs here the tasks of a worker stopped at its heap limit", async () => {
    // The worker claims a task and dies before returning it.
    const dying: BatchPool = {
      run: async (batch) => {
        Atomics.add(new Int32Array(batch.next), 0, 1);
        throw Object.assign(new Error("heap"), { code: "ERR_WORKER_OUT_OF_MEMORY" });
      },
    };
    const { results } = await runStolen(dying, 1, squares(6), undefined, outOfMemory);
    expect(results).toEqual([0, 1, 4, 9, 16, 25]);
  });

  it("fails the run with the error of a task that threw in a worker", async () => {
    const pool = inProcess(async (task) => {
      if (inputOf(task) === 0) throw new RangeError("task 0 broke");
      return 0;
    });
    await expect(runStolen(pool, 1, squares(30), undefined, outOfMemory)).rejects.toBeInstanceOf(
      RangeError,
    );
  });
});

describe("runTasks on worker threads", () => {
  it("gives one thread's results on two, twice in a row (the second run on the kept workers)", async () => {
    const module = taskModule(
      new URL("../../reports/analyses/validate/validate.ts", import.meta.url).href,
      "validate-case",
    );
    const tasks = VALIDATION_CASES.slice(0, 8).map((item) => {
      const input = [{ id: item.id, profile: loadProfile(item.profile) }];
      return { task: { kind: "module" as const, module, input }, here: () => measureCases(input) };
    });
    const one = await runTasks(tasks, { jobs: 1 });
    // No worker has run yet: a small run stays on this thread.
    expect(autoJobs(8, 2)).toBe(1);
    const stats: ThreadStats[] = [];
    for (let run = 0; run < 2; run++) {
      const two = await runTasks(tasks, { jobs: 2, onStats: (s) => stats.push(s) });
      expect(two).toEqual(one);
    }
    expect(stats.map((s) => s.mainTasks + s.workerTasks)).toEqual([8, 8]);
    // The kept worker has run a batch: a small run now uses it (claims' later batches),
    // but only on as many cores as it was started for.
    expect(autoJobs(8, 2)).toBe(2);
    expect(autoJobs(8, 4)).toBe(1);
  }, 60_000);
});
