import { describe, expect, it } from "vitest";
import { createStrategyContext, type RefusedCharge } from "../../../core/engine/context.ts";
import { runSimulation } from "../../../core/engine/index.ts";
import { DEFAULT_MACHINE, Machine } from "../../../core/machine/index.ts";
import { loadProfile } from "../../../core/profile.ts";
import {
  defineStrategy,
  type ProtectedRegion,
  type StrategyModule,
} from "../../../strategies/api.ts";
import { checkPlugin } from "../../../strategies/conformance/index.ts";
import { BUILTIN_WORKLOADS, resolveWorkloadParams } from "../../../workloads/registry.ts";

/** A strategy that charges `count` times `parameter` on every map (declared: `cpa_cycles`). */
function charging(parameter: string, count: number): StrategyModule {
  return defineStrategy({
    name: "charging",
    version: "0.0.0",
    summary: "test double: charges a cost parameter on every map",
    citation: "test",
    options: {},
    costs: {
      cpa_cycles: { value: 300, unit: "cycles/call", confidence: "unverified", source: "test" },
    },
    supports: { local: true, global: true, longTerm: true },
    restoresProtection: false,
    create(context) {
      return {
        onMap(request) {
          context.charge(request.cpu, parameter, count);
          return { kind: "ok", value: { vpns: [...request.pfns], contiguous: false } };
        },
      };
    },
  });
}

const region: ProtectedRegion = {
  pfns: Int32Array.from([300_000]),
  keyMode: "access-disable",
  contiguous: true,
};

describe("the strategy context (core/engine/context.ts)", () => {
  it("registers the declared costs, charges them, and hands a forbidden charge to refuse", () => {
    const profile = loadProfile();
    const machine = new Machine({ ...DEFAULT_MACHINE, cpus: 2 }, profile);
    const refused: RefusedCharge[] = [];
    const module = charging("cpa_cycles", 1);
    const context = createStrategyContext(machine, region, module, {}, (charge) =>
      refused.push(charge),
    );
    const owned = machine.ledger.parameters.filter((p) => p.owner === "strategy:charging");
    expect(owned.map((p) => p.name)).toEqual(["cpa_cycles"]);
    context.charge(1, "cpa_cycles", 2);
    expect(machine.ledger.byCategory().strategy).toBe(600);
    expect(machine.ledger.clock[1]).toBe(600);
    context.charge(0, "other_cycles");
    context.charge(0, "cpa_cycles", -1);
    context.charge(0, "cpa_cycles", Number.NaN);
    expect(refused.map((r) => [r.parameter, r.undeclared])).toEqual([
      ["other_cycles", true],
      ["cpa_cycles", false],
      ["cpa_cycles", false],
    ]);
    // Refused charges charge nothing.
    expect(machine.ledger.byCategory().strategy).toBe(600);
    expect(machine.ledger.clock[0]).toBe(0);
    expect(context.vmalloc({ flush: "lazy", allocator: "global-lock" })).toBe(
      context.vmalloc({ flush: "eager", allocator: "per-cpu-nodes" }),
    );
  });

  it("the engine and the conformance kit refuse the same charges", () => {
    const workload = BUILTIN_WORKLOADS["pmem-dax"];
    const run = (module: StrategyModule) =>
      runSimulation({
        machine: { ...DEFAULT_MACHINE, cpus: 2 },
        profile: loadProfile(),
        strategy: module,
        strategyOptions: {},
        workload,
        workloadParams: resolveWorkloadParams(workload, { requests: 2, pages: 16 }),
        seed: 1,
        strayEvery: 0,
      });
    const costsCheck = (module: StrategyModule) =>
      checkPlugin(module).checks.find((check) => check.name.startsWith("every cycle"));
    expect(() => run(charging("cpa_cycles", 1))).not.toThrow();
    expect(costsCheck(charging("cpa_cycles", 1))?.passed).toBe(true);
    for (const [parameter, count] of [
      ["other_cycles", 1],
      ["cpa_cycles", -1],
    ] as const) {
      expect(() => run(charging(parameter, count)), parameter).toThrow(parameter);
      expect(costsCheck(charging(parameter, count))?.passed, parameter).toBe(false);
    }
  });
});
