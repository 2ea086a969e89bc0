import { describe, expect, it } from "vitest";
import { runComparison } from "../../core/compare.ts";
import { DEFAULT_MACHINE } from "../../core/machine/index.ts";
import { loadProfile } from "../../core/profile.ts";
import { defineStrategy, type StrategyHooks, type StrategyModule } from "../../strategies/api.ts";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import { BUILTIN_WORKLOADS, resolveWorkloadParams } from "../../workloads/registry.ts";

function broken(
  name: string,
  hooks: (machine: Parameters<StrategyModule["create"]>[0]["machine"]) => StrategyHooks,
) {
  return defineStrategy({
    name,
    version: "0.0.0",
    summary: "deliberately broken test double",
    citation: "test",
    options: {},
    costs: {},
    supports: { local: true, global: true, longTerm: true },
    restoresProtection: false,
    create: ({ machine }) => hooks(machine),
  });
}

const thrower = broken("thrower", () => ({
  onMap: () => {
    throw new Error("boom");
  },
}));
const malformed = broken("malformed", () => ({
  onMap: () => ({ kind: "ok", value: { vpns: [-5], contiguous: "yes" } }) as never,
}));
const looper = broken("looper", (machine) => ({
  onMap: (request) => {
    for (;;) machine.invlpg(request.cpu, 0);
  },
}));

function compare(strategy: StrategyModule) {
  const workload = BUILTIN_WORKLOADS["pmem-dax"];
  return runComparison({
    strategies: [
      { module: BUILTIN_STRATEGIES.unprotected, options: {} },
      { module: strategy, options: {} },
    ],
    workloads: [{ module: workload, params: resolveWorkloadParams(workload, { requests: 10 }) }],
    seeds: [1],
    machine: { ...DEFAULT_MACHINE, cpus: 2, memoryGiB: 2 },
    profile: loadProfile(),
    strayEvery: 0,
    operationBudget: 1000,
  });
}

describe("a broken plugin fails only its own cells, with the hook and operation named", () => {
  it("a hook that throws", () => {
    const [base, cell] = compare(thrower);
    expect(base.status).toBe("ok");
    expect(cell.status).toBe("failed");
    expect(cell.reason).toMatch(
      /thrower\.onMap threw during operation \{"kind":"map".*on CPU \d: boom/,
    );
  });

  it("a malformed outcome", () => {
    const [base, cell] = compare(malformed);
    expect(base.status).toBe("ok");
    expect(cell.status).toBe("failed");
    expect(cell.reason).toMatch(/malformed\.onMap returned a malformed mapping during operation/);
  });

  it("a hook that loops on model primitives past the budget", () => {
    const [base, cell] = compare(looper);
    expect(base.status).toBe("ok");
    expect(cell.status).toBe("failed");
    expect(cell.reason).toMatch(/looper\.onMap threw .*budget of 100000 charged model operations/);
  });
});
