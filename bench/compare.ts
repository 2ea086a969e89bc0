/**
 * The compare section: wall time and peak RSS of the default `pkslab compare` (child
 * processes), with one worker and with all cores, the speed-up, and whether the outputs match.
 */
import { availableParallelism } from "node:os";
import { autoJobs } from "../reports/run/pool.ts";
import { add, ROOT, reps } from "./common.ts";
import { busyShares, measureProcess, median, RUNNER_STATS } from "./harness.ts";

export function compareSection(): void {
  const cores = availableParallelism();
  const run = (jobs: number) => {
    const out = measureProcess(
      ["bin/pkslab.mjs", "compare", "--format", "csv", "--jobs", String(jobs)],
      ROOT,
      RUNNER_STATS,
    );
    if (out.status !== 0) throw new Error(`pkslab compare exited with ${out.status}`);
    return out;
  };
  // Interleaved (all threads, one thread, all threads, ...) so that load on a shared host
  // moves both figures alike.
  const many: ReturnType<typeof run>[] = [];
  const one: ReturnType<typeof run>[] = [];
  for (let i = 0; i < reps; i++) {
    many.push(run(cores));
    one.push(run(1));
  }
  const wall = median(many.map((r) => r.wallMs)) / 1000;
  const wallOne = median(one.map((r) => r.wallMs)) / 1000;
  const same = many.every((r) => r.stdout === one[0].stdout);
  // 50 cells x 5 seeds.
  const jobs = autoJobs(250);
  add(
    "compare",
    `default pkslab compare, wall (default: --jobs ${jobs})`,
    jobs === 1 ? wallOne : wall,
    "s",
    `median of ${reps}; target < 10 s`,
  );
  add("compare", `default pkslab compare, wall (--jobs ${cores})`, wall, "s", `median of ${reps}`);
  add(
    "compare",
    `default pkslab compare, peak RSS (--jobs ${cores})`,
    median(many.map((r) => r.peakRss)) / 2 ** 20,
    "MiB",
  );
  add("compare", "default pkslab compare, wall (--jobs 1)", wallOne, "s", `median of ${reps}`);
  add(
    "compare",
    "default pkslab compare, peak RSS (--jobs 1)",
    median(one.map((r) => r.peakRss)) / 2 ** 20,
    "MiB",
  );
  add(
    "compare",
    `worker speed-up (--jobs ${cores} vs 1)`,
    wallOne / wall,
    "x",
    `outputs ${same ? "identical" : "DIFFER"}; target >= 1.8x`,
  );
  threadBusyRows("compare", "default pkslab compare", cores, many);
}

/**
 * How busy the threads of the many-thread runs were (time inside tasks / the runner's
 * wall time): near 100% for each means the second thread was not idle, whatever the load.
 */
export function threadBusyRows(
  section: string,
  what: string,
  cores: number,
  runs: readonly { stderr: string }[],
): void {
  const shares = busyShares(runs.map((r) => r.stderr).join(""));
  if (!shares) return;
  add(section, `${what}, main thread busy (--jobs ${cores})`, 100 * shares.main, "%");
  add(
    section,
    `${what}, worker threads busy (--jobs ${cores})`,
    (100 * shares.workers) / Math.max(1, cores - 1),
    "%",
    "per worker",
  );
}
