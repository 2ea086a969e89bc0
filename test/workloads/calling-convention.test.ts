import { describe, expect, it } from "vitest";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import { BUILTIN_WORKLOADS } from "../../workloads/registry.ts";
import { simulate } from "../helpers/sim.ts";

const btrfs = (strategy: keyof typeof BUILTIN_STRATEGIES) =>
  simulate(
    BUILTIN_STRATEGIES[strategy],
    BUILTIN_WORKLOADS["btrfs-metadata"],
    { searches: 20 },
    { strayEvery: 0 },
  ).metrics;

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
