import { describe, expect, it } from "vitest";
import { Ev } from "../../core/ledger.ts";
import { FAULT_NOT_PRESENT, OK, READ, WRITE } from "../../core/machine/index.ts";
import { SIZE_1G, SIZE_4K } from "../../core/machine/pte.ts";
import type { StrategyModule } from "../../strategies/api.ts";
import noDirectMap from "../../strategies/no-direct-map.ts";
import unprotected from "../../strategies/unprotected.ts";
import { nonEmptyEvery } from "../helpers/lists.ts";
import { events, moved, setUp } from "./helpers.ts";

describe("no-direct-map (XPFO/secretmem style)", () => {
  it("splits the large leaves around the region (1G → 2M → 4K) and removes its pages", () => {
    const s = setUp(noDirectMap, { pages: 8 });
    expect(s.event("direct_map_splits_1g")).toBe(1);
    expect(s.event("direct_map_splits_2m")).toBe(1);
    for (const pfn of s.region.pfns) {
      expect(s.machine.directLeafSize(pfn)).toBe(SIZE_4K);
      for (let cpu = 0; cpu < s.machine.cpus; cpu++) {
        expect(s.machine.access(cpu, pfn, READ)).toBe(FAULT_NOT_PRESENT);
        expect(s.machine.access(cpu, pfn, WRITE)).toBe(FAULT_NOT_PRESENT);
      }
    }
    // Each split is a flush_tlb_all(); then the caller's one range flush.
    expect(s.event("shootdowns")).toBe(3);
  });

  it("a direct-map access to a protected page faults even while it is mapped elsewhere", () => {
    const s = setUp(noDirectMap, { keyMode: "write-disable" });
    const mapping = s.map(s.t[0], [2], "write", "local");
    expect(s.machine.access(0, mapping.vpns[0], WRITE)).toBe(OK);
    expect(s.machine.access(0, s.region.pfns[2], READ)).toBe(FAULT_NOT_PRESENT);
    s.unmap(s.t[0], mapping);
  });

  it("local maps are per-CPU fixmap slots: a PTE write per page, one local INVLPG per page at unmap, no IPI", () => {
    const s = setUp(noDirectMap);
    const before = events(s.machine);
    const mapping = s.map(s.t[0], [0, 1, 2], "write", "local");
    expect(moved(before, events(s.machine))).toEqual({ pte_writes: 3 });
    expect(nonEmptyEvery(mapping.vpns, (vpn) => vpn >= s.machine.fixmapBase)).toBe(true);
    for (const vpn of mapping.vpns) expect(s.machine.access(0, vpn, WRITE)).toBe(OK);
    const mapped = events(s.machine);
    s.unmap(s.t[0], mapping);
    expect(moved(mapped, events(s.machine))).toEqual({ pte_writes: 3, invlpg: 3 });
    expect(s.event("ipis")).toBe(before.ipis);
    // The slot is gone locally and never existed elsewhere.
    expect(s.machine.access(0, mapping.vpns[0], WRITE)).toBe(FAULT_NOT_PRESENT);
  });

  it("global and long-term mappings are vmap() aliases usable from every CPU", () => {
    const s = setUp(noDirectMap);
    const mapping = s.map(s.t[0], [4, 5], "write", "long-term");
    expect(s.machine.isVmalloc(mapping.vpns[0])).toBe(true);
    expect(s.machine.access(3, mapping.vpns[1], WRITE)).toBe(OK);
    expect(s.machine.lastPfn).toBe(s.region.pfns[5]);
    s.unmap(s.t[1], mapping);
  });

  it("refuses a 16th nested local page and an out-of-order unmap, without throwing", () => {
    const s = setUp(noDirectMap);
    const held = [];
    for (let i = 0; i < 15; i++) held.push(s.map(s.t[0], [i], "write", "local"));
    expect(s.tryMap(s.t[0], [15], "write", "local").kind).toBe("unsupported");
    expect(s.unmap(s.t[0], held[0]).kind).toBe("unsupported");
    while (held.length > 0) expect(s.unmap(s.t[0], held.pop()!).kind).toBe("ok");
  });

  it("the fragmentation costs TLB misses and deeper walks for unprotected pages next to the region", () => {
    // Unprotected neighbours: the 64 pages after the region, in the same 2M leaf.
    const touchNeighbours = (strategy: StrategyModule) => {
      const s = setUp(strategy, { pages: 8 });
      const first = s.region.pfns[7] + 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i < 64; i++) s.machine.access(2, first + i, READ);
      }
      return {
        misses: s.event("tlb_misses"),
        walkCycles: s.machine.ledger.byCategory().tlb_walk,
        leaf: s.machine.directLeafSize(first),
      };
    };
    const baseline = touchNeighbours(unprotected);
    const split = touchNeighbours(noDirectMap);
    expect(baseline.leaf).toBe(SIZE_1G);
    expect(split.leaf).toBe(SIZE_4K);
    expect(baseline.misses).toBe(1); // one 1G entry covers them all
    expect(split.misses).toBe(64); // one 4K entry each
    expect(split.walkCycles).toBeGreaterThan(64 * baseline.walkCycles);
  });

  it("page churn: protect invalidates and flushes once per call; release restores without a flush", () => {
    const s = setUp(noDirectMap, { pages: 8 });
    const pfns = [s.region.pfns[0], s.region.pfns[1]];
    const before = events(s.machine);
    expect(s.hooks.onPagesRelease!(0, pfns).kind).toBe("ok");
    expect(s.machine.access(1, pfns[0], WRITE)).toBe(OK);
    expect(moved(before, events(s.machine)).shootdowns).toBeUndefined();
    const released = s.machine.ledger.events[Ev.shootdowns];
    expect(s.hooks.onPagesProtect!(0, pfns).kind).toBe("ok");
    expect(s.machine.ledger.events[Ev.shootdowns]).toBe(released + 1);
    expect(s.machine.access(1, pfns[0], WRITE)).toBe(FAULT_NOT_PRESENT);
  });
});

describe("no-direct-map flush=deferred (XPFO v7/v8 deferred flush)", () => {
  it("flushes locally and defers the other CPUs' flush to their next context switch, with no IPI", () => {
    const s = setUp(noDirectMap, { options: { flush: "deferred" } });
    const hooks = s.hooks;
    const before = events(s.machine);
    hooks.onPagesRelease?.(0, [s.region.pfns[3]]);
    hooks.onPagesProtect?.(0, [s.region.pfns[3]]);
    const after = events(s.machine);
    expect(after.ipis).toBe(before.ipis);
    expect(after.shootdowns).toBe(before.shootdowns);
    expect(after.invlpg - before.invlpg).toBe(1);
    // CPU 1 flushes everything at its next switch, once.
    const flushes = after.full_flushes;
    const t = s.machine.createThread(1);
    s.switchTo(1, t);
    expect(events(s.machine).full_flushes).toBe(flushes + 1);
    s.switchTo(1, s.t[1]);
    expect(events(s.machine).full_flushes).toBe(flushes + 1);
  });
});

describe("no-direct-map flush=deferred conformance", () => {
  it("passes the check-plugin conformance suite", async () => {
    const { checkPlugin, renderConformance } = await import(
      "../../strategies/conformance/index.ts"
    );
    const report = checkPlugin(noDirectMap, { options: { flush: "deferred" } });
    expect(report.passed, renderConformance(report)).toBe(true);
  });
});
