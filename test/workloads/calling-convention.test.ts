import { describe, expect, it } from "vitest";
import { runSimulation } from "../../core/engine/index.ts";
import { DEFAULT_MACHINE } from "../../core/machine/index.ts";
import { loadProfile } from "../../core/profile.ts";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import { BUILTIN_WORKLOADS, resolveWorkloadParams } from "../../workloads/registry.ts";

function btrfs(strategy: keyof typeof BUILTIN_STRATEGIES) {
  const workload = BUILTIN_WORKLOADS["btrfs-metadata"];
  return runSimulation({
    machine: { ...DEFAULT_MACHINE, cpus: 4, memoryGiB: 4 },
    profile: loadProfile(),
    strategy: BUILTIN_STRATEGIES[strategy],
    strategyOptions: {},
    workload,
    workloadParams: resolveWorkloadParams(workload, { searches: 20 }),
    seed: 1,
    strayEvery: 0,
  }).metrics;
}

describe("calling convention follows the API (btrfs-metadata, mapping=api)", () => {
  it("kmap-local-range maps each 16 KiB extent buffer once; pks-kmap's one-page API loops per page", () => {
    const range = btrfs("kmap-local-range");
    const perPage = btrfs("pks-kmap");
    expect(range["run.operations"]).toBe(perPage["run.operations"]);
    // One lift and one restore per eb visit against one pair per page touched.
    expect(range["events.pkrs_writes"] * 4).toBeLessThan(perPage["events.pkrs_writes"]);
    expect(range["cost.cycles_per_op"]).toBeLessThan(perPage["cost.cycles_per_op"]);
  });
});
