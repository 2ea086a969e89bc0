/**
 * vmalloc's page allocation (issue 18, item 6): a map operation with `allocate` charges
 * vm_area_alloc_pages()'s bulk allocation when the strategy made the mapping, and
 * __vunmap()'s per-page frees at its unmap; the caller's work, the same whichever
 * strategy serves it.
 */
import { describe, expect, it } from "vitest";
import { Ev } from "../../core/ledger.ts";
import { loadProfile, parseProfile, RETIRED_PARAMETERS } from "../../core/profile.ts";
import type { Scope, StrategyModule } from "../../strategies/api.ts";
import pksKmap from "../../strategies/pks-kmap.ts";
import unprotected from "../../strategies/unprotected.ts";
import vmapAlias from "../../strategies/vmap-alias.ts";
import type { Operation } from "../../workloads/api.ts";
import vmapChurn from "../../workloads/vmap-churn.ts";
import { runScript, simulate } from "../helpers/sim.ts";
import { PAGE, smallMachine } from "./helpers.ts";

const profile = loadProfile();
const p = profile.parameters;

/** One thread's fixed operations on a 512-page region; the run's metrics. */
const run = (ops: Operation[], strategy?: StrategyModule) =>
  runScript([ops], { strategy, region: { pages: 512 } }).metrics;

function mapUnmap(count: number, allocate: boolean, scope: Scope = "long-term"): Operation[] {
  return [
    { kind: "map", handle: 1, page: 0, count, intent: "write", scope, allocate },
    { kind: "access", handle: 1, offset: 0, length: 1, write: true },
    { kind: "unmap", handle: 1 },
    { kind: "complete" },
  ];
}

const bulkCall = p.page_alloc_bulk_call_cycles.value;
const bulkPage = p.page_alloc_bulk_page_cycles.value;
const free = p.page_free_cycles.value;

describe("vmalloc page allocation", () => {
  it("charges one bulk call, a per-page take and a per-page free, and nothing without allocate", () => {
    for (const count of [1, 3, 16]) {
      const withPages = run(mapUnmap(count, true));
      const without = run(mapUnmap(count, false));
      expect(withPages["cost.param.page_alloc_bulk_call_cycles"]).toBe(bulkCall);
      expect(withPages["cost.param.page_alloc_bulk_page_cycles"]).toBe(bulkPage * count);
      expect(withPages["cost.param.page_free_cycles"]).toBe(free * count);
      expect(withPages["cost.total_cycles"] - without["cost.total_cycles"]).toBe(
        bulkCall + (bulkPage + free) * count,
      );
      expect(without["cost.param.page_alloc_bulk_page_cycles"] ?? 0).toBe(0);
      expect(without["cost.param.page_free_cycles"] ?? 0).toBe(0);
    }
  });

  it("takes at most 100 pages per bulk call, as vm_area_alloc_pages() does", () => {
    const metrics = run(mapUnmap(250, true));
    expect(metrics["cost.param.page_alloc_bulk_call_cycles"]).toBe(3 * bulkCall);
    expect(metrics["cost.param.page_alloc_bulk_page_cycles"]).toBe(250 * bulkPage);
  });

  it("is the caller's work: every strategy that serves the map pays the same for it", () => {
    // pks-kmap maps one page per call and only locally (kmap_local_page()).
    const cases: [StrategyModule, number, Scope][] = [
      [unprotected, 3, "long-term"],
      [vmapAlias, 3, "long-term"],
      [pksKmap, 1, "local"],
      [unprotected, 1, "local"],
    ];
    for (const [strategy, count, scope] of cases) {
      const extra =
        run(mapUnmap(count, true, scope), strategy)["cost.cycles.page_alloc"] -
        run(mapUnmap(count, false, scope), strategy)["cost.cycles.page_alloc"];
      expect({ strategy: strategy.name, count, extra }).toEqual({
        strategy: strategy.name,
        count,
        extra: bulkCall + count * (bulkPage + free),
      });
    }
  });

  it("charges nothing for a map the strategy refused", () => {
    // vmap() may sleep, so vmap-alias refuses a map asked for in atomic context.
    const ops: Operation[] = [
      {
        kind: "map",
        handle: 1,
        page: 0,
        count: 3,
        intent: "write",
        scope: "long-term",
        context: "atomic",
        allocate: true,
      },
      { kind: "unmap", handle: 1 },
      { kind: "complete" },
    ];
    const metrics = run(ops, vmapAlias);
    expect(metrics["compat.unsupported_maps"]).toBe(1);
    expect(metrics["cost.param.page_alloc_bulk_page_cycles"] ?? 0).toBe(0);
    expect(metrics["cost.param.page_free_cycles"] ?? 0).toBe(0);
  });

  it("vmap-churn allocates only with source=vmalloc (test_vmalloc), not for Piggin's vmap shape", () => {
    const churn = (source: string) =>
      simulate(
        unprotected,
        vmapChurn,
        { loops: 10, threads: 1, pages: 3, source, stray_every: 0 },
        { strayEvery: 0 },
      ).metrics;
    const vmalloc = churn("vmalloc");
    expect(vmalloc["cost.param.page_alloc_bulk_call_cycles"]).toBe(10 * bulkCall);
    expect(vmalloc["cost.param.page_free_cycles"]).toBe(30 * free);
    expect(churn("vmap")["cost.param.page_free_cycles"] ?? 0).toBe(0);
  });
});

describe("page-table pages", () => {
  it("are order-0 allocations: a direct-map split charges page_alloc_cycles per new table", () => {
    const machine = smallMachine();
    const id = machine.ledger.parameterId("page_alloc_cycles");
    machine.splitDirectMap(0, PAGE); // 1 GiB -> 2 MiB: one new table (split_large_page)
    expect(machine.ledger.parameterCycles[id]).toBe(p.page_alloc_cycles.value);
    expect(machine.ledger.events[Ev.pt_allocs]).toBe(1);
    machine.splitDirectMap(0, PAGE); // 2 MiB -> 4 KiB: another
    expect(machine.ledger.parameterCycles[id]).toBe(2 * p.page_alloc_cycles.value);
  });
});

describe("profiles", () => {
  it("refuse a retired parameter rather than ignore it", () => {
    const data = structuredClone(profile) as unknown as {
      parameters: Record<string, unknown>;
    };
    for (const name of Object.keys(RETIRED_PARAMETERS)) {
      const copy = structuredClone(data);
      copy.parameters[name] = { ...p.page_alloc_cycles };
      expect(() => parseProfile(copy, "test")).toThrow(name);
    }
    expect(() => parseProfile(structuredClone(data), "test")).not.toThrow();
  });
});
