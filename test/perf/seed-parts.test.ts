import { describe, expect, it } from "vitest";
import type { CellResult } from "../../core/compare.ts";
import { NOTHING_SERVED } from "../../core/engine/index.ts";
import { joinSeedParts } from "../../reports/run/cells.ts";
import { AUTO_PARALLEL_SEED_RUNS, autoJobs } from "../../reports/run/pool.ts";

const run = (seed: number) => ({ seed, metrics: { "cost.cycles_per_op": seed } });
const part = (seed: number, extra: Partial<CellResult> = {}): CellResult => ({
  workload: "w",
  strategy: "s",
  status: "ok",
  served: { ...NOTHING_SERVED, maps: 10 },
  runs: [run(seed)],
  ...extra,
});

describe("joinSeedParts (a cell put back together from its seeds)", () => {
  it("keeps the runs in seed order and the distinct reasons in seed order", () => {
    const joined = joinSeedParts([
      part(1, { notes: ["b"] }),
      part(2, {
        status: "partial",
        notes: ["a"],
        served: { ...NOTHING_SERVED, maps: 10, refusedMaps: 4 },
      }),
      part(3, { notes: ["b"] }),
    ]);
    expect(joined.status).toBe("partial");
    // The counts are summed over the seeds; the strategy's reasons follow in seed order.
    expect(joined.served.maps).toBe(30);
    expect(joined.served.refusedMaps).toBe(4);
    expect(joined.reason).toBe("refused 4 of 30 maps: b; a");
    expect(joined.runs.map((r) => r.seed)).toEqual([1, 2, 3]);
  });

  it("stops at the first failing seed with the runs before it, as a sequential run does", () => {
    const joined = joinSeedParts([
      part(1),
      part(2, { status: "failed", reason: "seed 2: broke", runs: [] }),
      part(3, { status: "failed", reason: "seed 3: broke too", runs: [] }),
    ]);
    expect(joined).toEqual({
      workload: "w",
      strategy: "s",
      status: "failed",
      reason: "seed 2: broke",
      served: { ...NOTHING_SERVED, maps: 10 },
      runs: [run(1)],
    });
  });

  it("gives no reason when no seed has one", () => {
    expect(joinSeedParts([part(1), part(2)]).reason).toBeUndefined();
  });
});

describe("autoJobs (threads when --jobs is not given)", () => {
  it("runs small comparisons in one thread and large ones on every core", () => {
    expect(autoJobs(250, 2)).toBe(2); // the default comparison: 50 cells x 5 seeds
    expect(autoJobs(100, 2)).toBe(1); // the default matrix with --seeds 2
    expect(autoJobs(AUTO_PARALLEL_SEED_RUNS - 1, 16)).toBe(1);
    expect(autoJobs(AUTO_PARALLEL_SEED_RUNS, 2)).toBe(2);
    expect(autoJobs(600, 16)).toBe(16);
    expect(autoJobs(600, 0)).toBe(1);
  });
});
