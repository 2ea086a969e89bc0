/**
 * Built-in tasks on several threads without the main thread as dispatcher. Every worker is
 * handed the whole list once (one structured clone: a configuration shared by many tasks
 * is copied once) and every thread, this one included, claims the next task from one
 * shared counter (Atomics.add). A worker posts each result on its own port the moment it
 * has it, so it never waits for this thread to finish a task of its own before starting
 * the next one (with tinypool handing out tasks, it did: the worker sat idle for up to a
 * whole cell of this thread, and two threads gave 1.08x on the default comparison).
 *
 * Results land by task index, so they do not depend on which thread claimed what. When
 * this thread has every result it stops waiting at once, so a worker still starting up
 * (a short run) costs nothing but its start-up on the other core.
 */
import { MessageChannel, type MessagePort } from "node:worker_threads";
import type { BatchMessage, BatchTask, WorkerTask } from "./tasks.ts";

/** A worker pool that runs one batch per worker (tinypool, see pool.ts). */
export interface BatchPool {
  run(task: BatchTask, options: { transferList: MessagePort[] }): Promise<unknown>;
}

/** How busy each thread was during a run: the evidence that the other threads worked. */
export interface ThreadStats {
  /** Wall time of the run, in milliseconds. */
  readonly wallMs: number;
  /** This thread's time inside tasks, and its task count. */
  readonly mainBusyMs: number;
  readonly mainTasks: number;
  /** Every worker's time inside tasks (as each worker measured it), and their task count. */
  readonly workerBusyMs: number;
  readonly workerTasks: number;
  /** When the first worker result arrived, in milliseconds from the start of the run. */
  readonly firstWorkerResultMs: number | undefined;
}

/** A task as `runStolen` takes it: what a worker runs, and how to compute it here. */
export interface StealTask<R> {
  readonly task: WorkerTask;
  here(): R;
}

/** Whether an error means a worker was stopped at its heap limit (then: run its tasks here). */
type IsOutOfMemory = (error: unknown) => boolean;

/**
 * Runs `tasks` in the order given (the order in which they are claimed) on this thread and
 * one batch per worker of `pool`; `onDone` hears each completion with the task's index.
 * A task that throws, here or in a worker, fails the run with its error. Tasks a worker
 * claimed but never returned (it ran out of memory) are run here at the end.
 */
export async function runStolen<R>(
  pool: BatchPool,
  workers: number,
  tasks: readonly StealTask<R>[],
  onDone: ((index: number) => void) | undefined,
  outOfMemory: IsOutOfMemory,
): Promise<{ results: R[]; stats: ThreadStats }> {
  const started = performance.now();
  const total = tasks.length;
  const results: R[] = new Array(total);
  const have = new Uint8Array(total);
  let received = 0;
  let mainBusyMs = 0;
  let mainTasks = 0;
  let workerBusyMs = 0;
  let workerTasks = 0;
  let firstWorkerResultMs: number | undefined;
  // An object, so that the checks below see the handlers' writes (TypeScript narrows a let).
  const failed: { first?: { error: unknown } } = {};
  const next = new Int32Array(new SharedArrayBuffer(4));
  const list = tasks.map((task) => task.task);

  let wake: () => void = () => {};
  const land = (index: number, value: R) => {
    if (have[index]) return;
    results[index] = value;
    have[index] = 1;
    received++;
    onDone?.(index);
  };
  const ports: MessagePort[] = [];
  // Per worker: results that came in, and (once its batch returned) how many it sent; the
  // two travel on different channels, so a batch is over when both agree.
  const came = new Array<number>(workers).fill(0);
  const sent = new Array<number | undefined>(workers).fill(undefined);
  for (let worker = 0; worker < workers; worker++) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1);
    port1.on("message", (message: BatchMessage) => {
      came[worker]++;
      firstWorkerResultMs ??= performance.now() - started;
      workerBusyMs += message.busyMs;
      workerTasks++;
      land(message.index, message.value as R);
      wake();
    });
    const batch: BatchTask = { kind: "batch", tasks: list, next: next.buffer, port: port2 };
    pool.run(batch, { transferList: [port2] }).then(
      (count) => {
        sent[worker] = typeof count === "number" ? count : 0;
        wake();
      },
      (error: unknown) => {
        // A worker at its heap limit: this thread runs what it claimed. Anything else fails.
        if (!outOfMemory(error)) failed.first ??= { error };
        sent[worker] = -1;
        wake();
      },
    );
  }
  const failure = (): { error: unknown } | undefined => failed.first;
  const over = () => sent.every((count, worker) => count !== undefined && came[worker] >= count);
  try {
    for (;;) {
      const stop = failure();
      if (stop) throw stop.error;
      const index = Atomics.add(next, 0, 1);
      if (index >= total) break;
      const t = performance.now();
      const value = tasks[index].here();
      mainBusyMs += performance.now() - t;
      mainTasks++;
      land(index, value);
      // Let the workers' results in (progress, and the failure of one).
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Every task is claimed: wait for the workers' last results (or their end).
    while (received < total && !over() && !failure()) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    const stop = failure();
    if (stop) throw stop.error;
    // Tasks of a worker that stopped before returning them.
    for (let index = 0; index < total; index++) {
      if (!have[index]) land(index, tasks[index].here());
    }
  } finally {
    for (const port of ports) port.close();
  }
  return {
    results,
    stats: {
      wallMs: performance.now() - started,
      mainBusyMs,
      mainTasks,
      workerBusyMs,
      workerTasks,
      firstWorkerResultMs,
    },
  };
}

/**
 * The worker side: claims tasks from the shared counter until none is left, posting each
 * result on the batch's port; returns how many it posted.
 */
export async function runBatch(
  batch: BatchTask,
  run: (task: WorkerTask) => Promise<unknown>,
): Promise<number> {
  const next = new Int32Array(batch.next);
  let done = 0;
  try {
    for (;;) {
      const index = Atomics.add(next, 0, 1);
      if (index >= batch.tasks.length) break;
      const t = performance.now();
      // A task that throws rejects the batch, and this thread fails the run with its error.
      const value = await run(batch.tasks[index]);
      batch.port.postMessage({
        index,
        value,
        busyMs: performance.now() - t,
      } satisfies BatchMessage);
      done++;
    }
  } finally {
    batch.port.close();
  }
  return done;
}
