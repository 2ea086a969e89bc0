/**
 * A misbehaving fixture strategy's cells beside two sound ones, run through the runner as
 * compare runs them (reports/run/cells.ts), for the tests of cell isolation and limits.
 */
import { basename } from "node:path";
import { allCells, runCells } from "../../reports/run/cells.ts";
import { mergeCompareOptions } from "../../reports/run/config.ts";
import type { CellMemory, CellTimeout } from "../../reports/run/limits.ts";
import { resolveComparison } from "../../reports/run/plan.ts";

/**
 * Resolves unprotected, the fixture plugin at `plugin` (named as its file) and pks-kmap on
 * pmem-dax (2 seeds, 2 CPUs, 20 requests a thread); returns a function that runs the three
 * cells on `jobs` threads with the given limits.
 */
export async function besideFixture(plugin: string) {
  const comparison = await resolveComparison(
    mergeCompareOptions({
      plugin: [plugin],
      strategies: `unprotected,${basename(plugin, ".ts")},pks-kmap`,
      workloads: "pmem-dax",
      seeds: 2,
      cpus: 2,
      set: ["pmem-dax.requests=20"],
    }),
  );
  return (jobs: number, timeout?: CellTimeout, memory?: CellMemory) =>
    runCells([comparison], allCells([comparison]), jobs, undefined, timeout, memory);
}
