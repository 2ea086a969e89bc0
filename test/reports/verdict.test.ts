/**
 * The verdict rules of issue 15: the paired interval against a hand-computed example, the
 * overall over common ground (a property over random mixes of statuses), and cells that
 * did not do their work getting no numbers in the reports.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RUN_STATUSES, type RunStatus } from "../../core/engine/index.ts";
import type { CellReport } from "../../reports/results/results.ts";
import { pairedRatio } from "../../reports/results/stats.ts";
import * as verdict from "../../reports/results/verdict.ts";

describe("pairedRatio (paired t on per-seed log ratios)", () => {
  it("matches a hand-computed example: n = 3, t(2) = 4.303", () => {
    // log ratios ln 1.1, ln 1.1, ln 1.2: mean 0.124314, sd 0.050236, half width
    // 4.303 x 0.050236 / sqrt(3) = 0.124803.
    const paired = pairedRatio([100, 200, 400], [110, 220, 480]);
    expect(paired?.n).toBe(3);
    expect(paired?.change).toBeCloseTo(Math.exp(0.124314) - 1, 5); // +13.24%
    expect(paired?.ciLow).toBeCloseTo(-0.000489, 5);
    expect(paired?.ciHigh).toBeCloseTo(0.282892, 5);
    expect(paired?.significant).toBe(false); // the interval includes 0
  });

  it("finds a small consistent change significant that unpaired intervals would not", () => {
    // Seeds differ a lot between each other, the ratio hardly at all.
    const baseline = [1000, 1500, 2000, 2500, 3000];
    const candidate = baseline.map((value, i) => value * (1.008 + 0.001 * (i % 2)));
    const paired = pairedRatio(baseline, candidate);
    expect(paired?.significant).toBe(true);
    expect(paired?.change).toBeGreaterThan(0.007);
    expect(paired?.change).toBeLessThan(0.01);
    // Four seeds with t(3) = 3.182 against a second hand-computed case.
    const four = pairedRatio([100, 100, 100, 100], [120, 118, 122, 121]);
    expect(four?.ciLow).toBeCloseTo(0.17547, 4);
    expect(four?.ciHigh).toBeCloseTo(0.229965, 4);
  });

  it("gives no interval for one seed and no ratio for a value that is not positive", () => {
    const one = pairedRatio([100], [150]);
    expect(one?.change).toBeCloseTo(0.5, 12);
    expect(one?.ciLow).toBe(one?.ciHigh);
    expect(one?.significant).toBe(false);
    expect(pairedRatio([100, 0], [150, 10])).toBeUndefined();
    expect(pairedRatio([], [])).toBeUndefined();
  });
});

/** A cell with the given status whose seeds have the given cycles/op. */
function cell(workload: string, strategy: string, status: RunStatus, values: number[]): CellReport {
  return {
    workload,
    strategy,
    status,
    served: {
      maps: 10,
      refusedMaps: status === "ok" ? 0 : 10,
      refusedUnmaps: 0,
      brokenAccesses: 0,
      oopses: 0,
      skippedAccesses: 0,
      refusedPageMoves: 0,
    },
    runs: values.map((value, i) => ({ seed: i + 1, metrics: { [verdict.PRIMARY_METRIC]: value } })),
    summary: {},
  };
}

describe("vsBaselineOf", () => {
  it("pairs seed s with seed s and never stars a cell that is not ok", () => {
    const base = cell("w", "base", "ok", [100, 200, 300]);
    const ok = verdict.vsBaselineOf(base, cell("w", "a", "ok", [150, 300, 450]));
    expect(ok?.change).toBeCloseTo(0.5, 12);
    expect(ok?.significant).toBe(true); // deterministic ratio: a zero-width interval
    const partial = verdict.vsBaselineOf(base, cell("w", "a", "partial", [150, 300, 450]));
    expect(partial?.change).toBeCloseTo(0.5, 12);
    expect(partial?.significant).toBe(false);
    expect(
      verdict.vsBaselineOf(base, cell("w", "a", "unsupported", [150, 300, 450])),
    ).toBeUndefined();
    expect(verdict.vsBaselineOf(base, cell("w", "a", "failed", [150]))).toBeUndefined();
    expect(
      verdict.vsBaselineOf(
        cell("w", "base", "partial", [1, 2, 3]),
        cell("w", "a", "ok", [1, 2, 3]),
      ),
    ).toBeUndefined();
  });
});

describe("overall over common ground (property)", () => {
  const strategies = ["base", "a", "b", "c"];
  const workloads = ["w1", "w2", "w3", "w4", "w5"];
  const statuses = fc.constantFrom<RunStatus>(...RUN_STATUSES);
  const grid = fc.array(fc.tuple(statuses, fc.double({ min: 0.5, max: 4, noNaN: true })), {
    minLength: strategies.length * workloads.length,
    maxLength: strategies.length * workloads.length,
  });

  it("takes no number from a cell that is not ok, and uses one workload set for every candidate", () => {
    fc.assert(
      fc.property(grid, (entries) => {
        const results: CellReport[] = [];
        let k = 0;
        for (const workload of workloads) {
          for (const strategy of strategies) {
            const [status, factor] = entries[k++];
            // Cells that are not ok carry absurd numbers: any leak shows in the figure.
            const scale = status === "ok" ? factor : 1e6;
            results.push(cell(workload, strategy, status, [100 * scale, 110 * scale, 90 * scale]));
          }
        }
        const overall = verdict.overallVerdicts("base", strategies, results);
        const ground = verdict.commonGround(strategies, results, "base");
        // A strategy ok on no workload is absent: no figure, and it does not constrain.
        const okSomewhere = (s: string) =>
          results.some((c) => c.strategy === s && c.status === "ok");
        expect(ground.absent).toEqual(strategies.filter((s) => s !== "base" && !okSomewhere(s)));
        for (const entry of overall) {
          expect(entry.workloads).toEqual(ground.workloads);
          for (const w of entry.workloads) {
            for (const s of strategies) {
              if (ground.absent.includes(s)) continue;
              expect(results.find((c) => c.workload === w && c.strategy === s)?.status).toBe("ok");
            }
          }
          if (ground.absent.includes(entry.strategy)) {
            expect(entry.change).toBeNull();
            expect(entry.served.ok).toBe(0);
            continue;
          }
          expect([...entry.workloads, ...entry.excluded.map((e) => e.workload)].sort()).toEqual(
            [...workloads].sort(),
          );
          if (entry.workloads.length === 0) expect(entry.change).toBeNull();
          else {
            // Every ok ratio is within [0.5/4, 4/0.5]: a non-ok cell's 1e6 would break it.
            expect(entry.change as number).toBeLessThan(8);
            expect(entry.change as number).toBeGreaterThanOrEqual(1 / 8 - 1 - 1e-9);
            expect(entry.max as number).toBeLessThan(8);
          }
          const okCount = workloads.filter(
            (w) =>
              results.find((c) => c.workload === w && c.strategy === entry.strategy)?.status ===
              "ok",
          ).length;
          expect(entry.served).toEqual({ ok: okCount, of: workloads.length });
        }
      }),
      { numRuns: 200 },
    );
  });

  it("is the geometric mean of the per-workload ratios when the seeds agree", () => {
    const results = [
      cell("w1", "base", "ok", [100, 100]),
      cell("w1", "a", "ok", [200, 200]),
      cell("w2", "base", "ok", [100, 100]),
      cell("w2", "a", "ok", [800, 800]),
      cell("w3", "base", "ok", [100, 100]),
      cell("w3", "a", "unsupported", [1, 1]),
    ];
    const [entry] = verdict.overallVerdicts("base", ["base", "a"], results);
    expect(entry.change).toBeCloseTo(3, 12); // sqrt(2 x 8) - 1
    expect(entry.workloads).toEqual(["w1", "w2"]);
    expect(entry.excluded).toEqual([{ workload: "w3", reason: "a unsupported" }]);
    expect(entry.min).toBeCloseTo(1, 12);
    expect(entry.max).toBeCloseTo(7, 12);
  });
});

describe("unverifiedBasis (how much of the verdict rests on unverified costs)", () => {
  const profile = {
    parameters: { measured: { confidence: "verified" }, guess: { confidence: "unverified" } },
    strategyParameters: { a: { own_guess: { confidence: "unverified" } } },
  };
  const withCosts = (strategy: string, costs: Record<string, number>): CellReport => ({
    ...cell("w", strategy, "ok", [1]),
    runs: [1, 2].map((seed) => ({
      seed,
      metrics: { [verdict.PRIMARY_METRIC]: 1, "run.operations": 10, ...costs },
    })),
  });

  it("counts unverified parameters and shares the candidates' changes among them", () => {
    const results = [
      withCosts("base", { "cost.param.measured": 100 }),
      // +300 cycles: 100 from a verified parameter, 200 from an unverified one.
      withCosts("a", { "cost.param.measured": 200, "cost.param.guess": 200 }),
    ];
    const basis = verdict.unverifiedBasis(profile, "base", results);
    expect(basis).toMatchObject({ parameters: 2, of: 3, names: ["guess", "own_guess"] });
    expect(basis.share).toBeCloseTo(2 / 3, 12);
    expect(basis.leaning).toEqual([{ parameter: "guess", share: expect.closeTo(2 / 3, 12) }]);
  });

  it("has no share without a workload every strategy served", () => {
    const results = [withCosts("base", {}), { ...withCosts("a", {}), status: "partial" as const }];
    const basis = verdict.unverifiedBasis(profile, "base", results);
    expect(basis.share).toBeNull();
    expect(basis.leaning).toEqual([]);
  });
});
