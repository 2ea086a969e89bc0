import { describe, expect, it } from "vitest";
import { runSimulation } from "../../core/engine/index.ts";
import { DEFAULT_MACHINE, FAULT_WRITE_PROTECT, OK, READ, WRITE } from "../../core/machine/index.ts";
import { loadProfile } from "../../core/profile.ts";
import setMemoryRo from "../../examples/set-memory-ro.ts";
import type { StrategyModule } from "../../strategies/api.ts";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import unprotected from "../../strategies/unprotected.ts";
import { BUILTIN_WORKLOADS, resolveWorkloadParams } from "../../workloads/registry.ts";
import { events, moved, setUp } from "./helpers.ts";

describe("unprotected (today's x86-64)", () => {
  it("maps with page_address(): no event, no cycle, and nothing is protected", () => {
    const s = setUp(unprotected);
    const before = events(s.machine);
    const cycles = s.machine.ledger.totalCycles();
    const mapping = s.map(s.t[0], [0, 1, 2], "write", "global");
    s.unmap(s.t[0], mapping);
    expect(moved(before, events(s.machine))).toEqual({});
    expect(s.machine.ledger.totalCycles()).toBe(cycles);
    expect(mapping.vpns).toEqual([0, 1, 2].map((page) => s.region.pfns[page]));
    expect(mapping.contiguous).toBe(true);
    expect(s.machine.access(3, s.region.pfns[0], WRITE)).toBe(OK);
  });
});

describe("examples/set-memory-ro.ts (btrfs read-only debugging)", () => {
  it("opens a page with set_memory_rw() around a write: vm_unmap_aliases, CPA, a flush on every CPU each way", () => {
    const s = setUp(setMemoryRo, { keyMode: "write-disable" });
    const page = s.region.pfns[0];
    expect(s.machine.access(0, page, WRITE)).toBe(FAULT_WRITE_PROTECT);
    expect(s.machine.access(0, page, READ)).toBe(OK);
    const before = events(s.machine);
    const mapping = s.map(s.t[0], [0], "write", "local");
    expect(moved(before, events(s.machine)).shootdowns).toBe(1);
    // The permission change is global: another CPU can write the page meanwhile.
    expect(s.machine.access(2, page, WRITE)).toBe(OK);
    const nested = s.map(s.t[1], [0], "write", "global");
    s.unmap(s.t[0], mapping);
    expect(s.machine.access(2, page, WRITE)).toBe(OK); // still open for the nested user
    s.unmap(s.t[1], nested);
    expect(moved(before, events(s.machine)).shootdowns).toBe(2);
    expect(s.machine.access(2, page, WRITE)).toBe(FAULT_WRITE_PROTECT);
    // Reads of a read-only page need no toggle.
    const reads = events(s.machine);
    s.unmap(s.t[0], s.map(s.t[0], [1], "read", "local"));
    expect(moved(reads, events(s.machine))).toEqual({});
  });

  it("charges its declared cost parameter through the ledger, attributed to the plugin", () => {
    const s = setUp(setMemoryRo);
    s.unmap(s.t[0], s.map(s.t[0], [3, 4], "write", "local"));
    const row = s.machine.ledger.bySource().find((source) => source.name === "cpa_call_cycles");
    // Setup made one call (one contiguous run), the map and the unmap one each.
    expect(row).toEqual({ name: "cpa_call_cycles", owner: "strategy:set-memory-ro", cycles: 900 });
  });
});

describe("every strategy on every built-in workload (4 CPUs, default parameters)", () => {
  const strategies: StrategyModule[] = [...Object.values(BUILTIN_STRATEGIES), setMemoryRo];
  const claimsEverything = (module: StrategyModule) =>
    module.supports.local && module.supports.global && module.supports.longTerm;

  it.each(Object.keys(BUILTIN_WORKLOADS))("%s", (name) => {
    const workload = BUILTIN_WORKLOADS[name as keyof typeof BUILTIN_WORKLOADS];
    for (const strategy of strategies) {
      const result = runSimulation({
        machine: { ...DEFAULT_MACHINE, cpus: 4 },
        profile: loadProfile(),
        strategy,
        strategyOptions: {},
        workload,
        workloadParams: resolveWorkloadParams(workload, {}),
        seed: 1,
      });
      // Failed only as a verdict: the oopses of reads that bypass the API (below).
      if (result.status === "failed") {
        expect(result.served.oopses, strategy.name).toBeGreaterThan(0);
        expect(result.served.oopses, strategy.name).toBe(
          result.metrics["compat.broken_direct_reads"],
        );
      }
      if (claimsEverything(strategy)) {
        // No legitimate access through a mapping faults. Reads that bypass the API (no map
        // call: page-table walkers on pagetable-protect) may fault under a design that
        // removed the pages from the direct map; then they break, and are counted so.
        expect(
          result.metrics["compat.false_faults"] - result.metrics["compat.broken_direct_reads"],
          strategy.name,
        ).toBe(0);
        // A strategy that claims every scope may still refuse what the kernel forbids: a
        // sleeping call (vmap(), vm_map_ram()) from an atomic caller. Nothing else.
        if (result.metrics["compat.unsupported_maps"] > 0) {
          const reasons = (result.reason ?? "").split("; ");
          for (const reason of reasons) expect(reason, strategy.name).toMatch(/: atomic context: /);
        } else if (result.metrics["compat.broken_direct_reads"] === 0) {
          expect(result.status, strategy.name).toBe("ok");
        }
      }
      if (strategy.name === "unprotected") {
        expect(result.metrics["coverage.blocked_ratio"]).toBe(0);
      }
    }
  });
});
