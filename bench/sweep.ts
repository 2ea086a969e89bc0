/** The sweep section: a sweep of 200 cells on all cores and on one (the targets section runs it too). */
import { availableParallelism } from "node:os";
import { autoJobs } from "../reports/run/pool.ts";
import { add, ROOT, reps } from "./common.ts";
import { threadBusyRows } from "./compare.ts";
import { measureProcess, median, RUNNER_STATS } from "./harness.ts";

/** The 200-cell sweep (4 points x 10 workloads x 5 strategies, 3 seeds), without its --jobs. */
export const SWEEP_200 = [
  "bin/pkslab.mjs",
  "sweep",
  "--param",
  "profile.wrmsr_pkrs_cycles=1,16,64,256",
  "--seeds",
  "3",
  "--format",
  "csv",
] as const;

/** A sweep of 200 cells (4 points x 10 workloads x 5 strategies, 3 seeds): all cores vs 1. */
export function sweepSection(): void {
  const args = SWEEP_200;
  const many: ReturnType<typeof measureProcess>[] = [];
  const one: ReturnType<typeof measureProcess>[] = [];
  for (let i = 0; i < reps; i++) {
    many.push(
      measureProcess([...args, "--jobs", String(availableParallelism())], ROOT, RUNNER_STATS),
    );
    one.push(measureProcess([...args, "--jobs", "1"], ROOT));
  }
  const wall = median(many.map((r) => r.wallMs)) / 1000;
  const wallOne = median(one.map((r) => r.wallMs)) / 1000;
  const same = many.every((r) => r.stdout === one[0].stdout && r.status === 0);
  add(
    "sweep",
    `200-cell sweep, wall (--jobs ${availableParallelism()}; the default: ${autoJobs(600)})`,
    wall,
    "s",
  );
  add("sweep", "200-cell sweep, wall (--jobs 1)", wallOne, "s");
  add(
    "sweep",
    `worker speed-up (--jobs ${availableParallelism()} vs 1)`,
    wallOne / wall,
    "x",
    `outputs ${same ? "identical" : "DIFFER"}; target >= 1.8x`,
  );
  threadBusyRows("sweep", "200-cell sweep", availableParallelism(), many);
}
