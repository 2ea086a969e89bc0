import { describe, expect, it } from "vitest";
import { pkrsWith, pksInitValue } from "../../core/machine/pkrs.ts";
import { defineStrategy, type StrategyModule } from "../../strategies/api.ts";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import { BUILTIN_WORKLOADS } from "../../workloads/registry.ts";
import { simulate } from "../helpers/sim.ts";
import { SIZE_PARAM } from "../workloads/helpers.ts";

function check(strategy: StrategyModule, workloadName: keyof typeof BUILTIN_WORKLOADS, seed = 1) {
  const [param, value] = SIZE_PARAM[workloadName];
  return simulate(
    strategy,
    BUILTIN_WORKLOADS[workloadName],
    { [param]: value },
    { seed, strayEvery: 10, checkInvariants: true },
  );
}

describe("model invariants hold for every built-in strategy on every built-in workload", () => {
  for (const [strategyName, strategy] of Object.entries(BUILTIN_STRATEGIES)) {
    for (const workloadName of Object.keys(
      BUILTIN_WORKLOADS,
    ) as (keyof typeof BUILTIN_WORKLOADS)[]) {
      it(`${strategyName} on ${workloadName}`, () => {
        const result = check(strategy, workloadName);
        expect(result.violations).toEqual([]);
      });
    }
  }
});

const KEY = 1;
function leaky(options: { restore: boolean; behindThreadsBack: boolean }): StrategyModule {
  return defineStrategy({
    name: "leaky",
    version: "0.0.0",
    summary: "deliberately broken test double",
    citation: "test",
    options: {},
    costs: {},
    supports: { local: true, global: false, longTerm: false },
    restoresProtection: true,
    create: ({ machine: m, region }) => ({
      onSetup: () => {
        m.enablePks(pksInitValue());
        m.changeDirectMap(0, region.pfns[0], region.pfns.length, { key: KEY });
        return { kind: "ok", value: undefined };
      },
      onMap: ({ cpu, thread, pfns }) => {
        const open = pkrsWith(thread.pkrs, KEY, "rw");
        if (options.behindThreadsBack) m.writePkrs(cpu, open);
        else m.setThreadPkrs(thread, open);
        return { kind: "ok", value: { vpns: pfns, contiguous: false } };
      },
      onUnmap: ({ thread }) => {
        if (options.restore) m.setThreadPkrs(thread, pkrsWith(thread.pkrs, KEY, "ad"));
        return { kind: "ok", value: undefined };
      },
    }),
  });
}

describe("the invariant checker catches broken strategies", () => {
  it("protection not back after unmap", () => {
    const result = check(leaky({ restore: false, behindThreadsBack: false }), "pmem-dax");
    expect(result.violations?.some((v) => v.startsWith("protection not back after unmap"))).toBe(
      true,
    );
  });

  it("PKRS written behind the thread's back is seen at the next context switch", () => {
    const result = check(leaky({ restore: false, behindThreadsBack: true }), "preempt-migrate");
    expect(result.violations?.some((v) => v.includes("differs from thread"))).toBe(true);
  });

  it("a correct strategy has none", () => {
    expect(
      check(leaky({ restore: true, behindThreadsBack: false }), "pmem-dax").violations,
    ).toEqual([]);
  });
});
