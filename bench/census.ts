/** The census section: the full Debian 6.1 tree (PKSLAB_KERNEL_SRC or ~/.cache/pkslab/linux-source-6.1). */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { add, reps } from "./common.ts";
import { median } from "./harness.ts";

let sink = 0;
/** Whether the census produced its scan, so that it cannot be optimised away. */
export const censusSink = () => sink;

export async function censusSection(): Promise<void> {
  const tree =
    process.env.PKSLAB_KERNEL_SRC ?? join(homedir(), ".cache", "pkslab", "linux-source-6.1");
  if (!existsSync(tree)) {
    add("census", "Debian 6.1 tree", Number.NaN, "s", `not present at ${tree}`);
    return;
  }
  const { runCensus } = await import("../reports/analyses/census/census.ts");
  const times = [];
  let rss = 0;
  for (let i = 0; i < Math.max(1, Math.min(reps, 2)); i++) {
    const start = performance.now();
    const result = runCensus({ kernelSrc: tree });
    times.push(performance.now() - start);
    rss = Math.max(rss, process.memoryUsage().rss);
    sink += result.scan ? 1 : 0;
  }
  add("census", "full Debian 6.1 tree", median(times) / 1000, "s", tree);
  add("census", "resident memory after the census", rss / 2 ** 20, "MiB");
}
