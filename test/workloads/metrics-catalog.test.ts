import { describe, expect, it } from "vitest";
import { RUN_STATUSES } from "../../core/engine/index.ts";
import { COST_CATEGORIES, EVENT_NAMES } from "../../core/ledger.ts";
import { catalogFor, METRIC_CATALOG, metricSpec } from "../../core/metrics.ts";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import { STRAY_CLASSES } from "../../workloads/api.ts";
import { BUILTIN_WORKLOAD_NAMES, BUILTIN_WORKLOADS } from "../../workloads/registry.ts";
import { simulate } from "../helpers/sim.ts";
import { SIZE_PARAM } from "./helpers.ts";

/** The names issue 4 makes part of the result contract. */
const CONTRACT = [
  "cost.cycles_per_op",
  "cost.total_cycles",
  ...COST_CATEGORIES.map((name) => `cost.cycles.${name}`),
  "events.pkrs_writes",
  "events.ipis",
  "events.shootdowns",
  "events.invlpg",
  "events.full_flushes",
  "events.tlb_misses",
  "events.direct_map_splits",
  "events.vmap_purges",
  "events.faults",
  ...STRAY_CLASSES.flatMap((cls) =>
    ["injected", "blocked", "corrupted", "redirected"].map(
      (outcome) => `coverage.${cls}.${outcome}`,
    ),
  ),
  "coverage.blocked_ratio",
  "compat.false_faults",
  "exposure.page_cycles",
  "memory.overhead_bytes",
];

describe("metric catalog", () => {
  it("declares every contract metric, every ledger category and every event once, with unit, description and direction", () => {
    for (const name of [...CONTRACT, ...EVENT_NAMES.map((event) => `events.${event}`)]) {
      const spec = METRIC_CATALOG.get(name);
      expect(spec, name).toBeDefined();
      expect(spec?.unit.length).toBeGreaterThan(0);
      expect(spec?.description.length).toBeGreaterThan(5);
      expect(["lower", "higher", "none"]).toContain(spec?.direction);
    }
    expect(METRIC_CATALOG.get("coverage.wild-direct.blocked")?.direction).toBe("higher");
    expect(METRIC_CATALOG.get("coverage.wild-direct.corrupted")?.direction).toBe("lower");
    expect(METRIC_CATALOG.get("cost.cycles_per_op")?.direction).toBe("lower");
  });

  it("catalogFor returns specs in order, accepts strategy counters by pattern and rejects undeclared names", () => {
    const specs = catalogFor(["events.ipis", "cost.total_cycles", "strategy.max_nesting"]);
    expect(specs.map((spec) => spec.name)).toEqual([
      "events.ipis",
      "cost.total_cycles",
      "strategy.max_nesting",
    ]);
    expect(specs[2].direction).toBe("none");
    expect(metricSpec("strategy.")).toBeUndefined();
    expect(() => catalogFor(["cost.cycles_per_page"])).toThrow(/cost\.cycles_per_page/);
  });

  it("covers every metric runSimulation emits for every built-in workload and strategy", () => {
    const seen = new Set<string>();
    for (const name of BUILTIN_WORKLOAD_NAMES) {
      const [param, size] = SIZE_PARAM[name];
      for (const strategy of Object.values(BUILTIN_STRATEGIES)) {
        const result = simulate(strategy, BUILTIN_WORKLOADS[name], { [param]: size });
        expect(RUN_STATUSES, `${name} × ${strategy.name}`).toContain(result.status);
        // A failed run here is a verdict (an oops), with its metrics, not a broken run.
        if (result.status === "failed") expect(result.served.oopses).toBeGreaterThan(0);
        for (const metric of Object.keys(result.metrics)) seen.add(metric);
        if (result.status === "ok") {
          for (const metric of CONTRACT)
            expect(result.metrics[metric], metric).toBeTypeOf("number");
        }
      }
    }
    const undeclared = [...seen].filter((metric) => metricSpec(metric) === undefined);
    expect(undeclared).toEqual([]);
    expect(() => catalogFor(seen)).not.toThrow();
  });
});
