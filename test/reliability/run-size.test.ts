/**
 * Impossible sizes are refused before anything runs (exit 2, with the estimate), and long
 * runs that fit get an estimate of their size and time.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allCells, probeMsPerSeedRun } from "../../reports/run/cells.ts";
import { mergeCompareOptions } from "../../reports/run/config.ts";
import {
  BYTES_PER_SEED_RUN,
  checkRunFits,
  estimateLine,
  resultMemoryBudget,
} from "../../reports/run/estimate.ts";
import { resolveComparison } from "../../reports/run/plan.ts";
import { pkslab } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const dir = tempDir("size");

describe("run size", () => {
  it("--seeds 1e9 is refused up front with the estimate (exit 2, nothing written)", async () => {
    const out = join(dir, "huge.json");
    const started = Date.now();
    const run = await pkslab`compare --seeds 1e9 --out ${out}`;
    expect(run.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.stderr).toMatch(
      /^pkslab: error: --seeds 1000000000: \d+ cells x 1,000,000,000 seeds = [\d,]+ seed runs, whose results need about [\d.]+ PB .* at most about [\d,]+ seed runs fit/,
    );
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it("a sweep is checked as a whole: every point fits, all points together do not", async () => {
    const budget = resultMemoryBudget();
    const perPointSeeds = Math.floor(budget / BYTES_PER_SEED_RUN / 2) - 1;
    const run = await pkslab`sweep --strategies unprotected --workloads pmem-dax
      --param cpus=1,2,4 --seeds ${String(perPointSeeds)}`;
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(`--seeds ${perPointSeeds} over 3 points: 3 cells x [\\d,]+ seeds`),
    );
  });

  it("refuses exactly past the budget", () => {
    const budget = 1000 * BYTES_PER_SEED_RUN;
    expect(() =>
      checkRunFits({ cells: 10, seeds: 100, what: "--seeds 100" }, budget),
    ).not.toThrow();
    expect(() => checkRunFits({ cells: 10, seeds: 101, what: "--seeds 101" }, budget)).toThrow(
      /--seeds 101: 10 cells x 101 seeds = 1,010 seed runs.*at most about 1,000 seed runs fit \(at most 100 seeds for these cells\)/,
    );
  });

  it("a long run's estimate names its seed runs, memory and time from a warm probe", async () => {
    const comparison = await resolveComparison(
      mergeCompareOptions({
        strategies: "unprotected,pks-kmap",
        workloads: "pmem-dax",
        seeds: 20,
        cpus: 2,
        set: ["pmem-dax.requests=5"],
      }),
    );
    const ms = probeMsPerSeedRun([comparison], allCells([comparison]));
    expect(ms).toBeGreaterThan(0);
    expect(estimateLine({ cells: 2, seedRuns: 10_000 }, 6, 2)).toBe(
      "pkslab: 10,000 seed runs in 2 cells: about 352 MB of results, estimated 30 s on 2 threads\n",
    );
  });
});
