import { describe, expect, it } from "vitest";
import type { CellResult, ComparisonPlan } from "../../core/compare.ts";
import { NOTHING_SERVED } from "../../core/engine/index.ts";
import { DEFAULT_MACHINE } from "../../core/machine/index.ts";
import { loadProfile } from "../../core/profile.ts";
import { renderSensitivity, sensitivity } from "../../reports/analyses/claims/sensitivity.ts";

/**
 * The sensitivity report tells a change of winner (the cheapest candidate other than the
 * baseline) from a change in the order of the others, and names the decisive parameters.
 */
describe("sensitivity: winner vs order of the others", () => {
  const plan: ComparisonPlan = {
    strategies: [],
    workloads: [],
    seeds: [1],
    machine: DEFAULT_MACHINE,
    profile: loadProfile(),
    strayEvery: 0,
  };
  const defaults = loadProfile().parameters;
  const cell = (workload: string, strategy: string, cost: number): CellResult => ({
    workload,
    strategy,
    status: "ok",
    served: NOTHING_SERVED,
    runs: [{ seed: 1, metrics: { "cost.cycles_per_op": cost } }],
  });
  // Synthetic costs: on "w", A beats B unless INVLPG is at the top of its range; C falls
  // below B (not below A) when the PTE write is at its cheapest. "v" never changes.
  const run = (p: ComparisonPlan): CellResult[] => {
    const invlpg = p.profile.parameters.invlpg_cycles.value;
    const pte = p.profile.parameters.pte_write_cycles.value;
    const flipWinner = invlpg > defaults.invlpg_cycles.value * 2;
    const flipOthers = pte < defaults.pte_write_cycles.value;
    return [
      cell("w", "unprotected", 1),
      cell("w", "a", flipWinner ? 30 : 10),
      cell("w", "b", 20),
      cell("w", "c", flipOthers ? 15 : 25),
      cell("v", "unprotected", 1),
      cell("v", "a", 10),
      cell("v", "b", 20),
      // "t": a tie for the win is one winner, however the names sort.
      cell("t", "unprotected", 1),
      cell("t", "b", 10),
      cell("t", "a", 10),
      cell("t", "c", 20),
    ];
  };

  it("marks the winner conditional on the parameters that flip it, and robust otherwise", () => {
    const report = sensitivity(plan, { run, baseline: "unprotected" });
    const w = report.workloads.find((x) => x.workload === "w")!;
    const v = report.workloads.find((x) => x.workload === "v")!;
    expect(w.winner).toBe("a");
    expect(w.stable).toBe(false);
    expect(w.winnerStable).toBe(false);
    expect(w.decisive).toContain("invlpg_cycles");
    expect(w.decisive).not.toContain("pte_write_cycles");
    const pteChange = w.changes.find((change) => change.variant.startsWith("pte_write_cycles="));
    expect(pteChange?.winnerChanged).toBe(false);
    expect(v.winnerStable).toBe(true);
    expect(v.stable).toBe(true);
    expect(report.workloads.find((x) => x.workload === "t")!.winner).toBe("a = b");
    const text = renderSensitivity(report);
    expect(text).toMatch(/winner a: conditional on [^\n]*invlpg_cycles/);
    expect(text).toMatch(/v: unprotected < a < b: stable\n\s+winner a: robust\n/);
  });
});
