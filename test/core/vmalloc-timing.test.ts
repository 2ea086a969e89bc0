import { describe, expect, it } from "vitest";
import { Vmalloc } from "../../core/kernel/vmalloc.ts";
import { Cat, Ev } from "../../core/ledger.ts";
import { PAGE_KERNEL } from "../../core/machine/pte.ts";
import vmapAlias from "../../strategies/vmap-alias.ts";
import { BUILTIN_WORKLOADS } from "../../workloads/registry.ts";
import { simulate } from "../helpers/sim.ts";
import { PAGE, smallMachine } from "./helpers.ts";

const pages = (n: number) => Array.from({ length: n }, (_, i) => PAGE + i);

/** mm/vmalloc.c (6.1): what each lock covers, and the deferred purge. */
describe("vmap allocator timing (mm/vmalloc.c)", () => {
  it("free_vmap_area_lock covers __alloc_vmap_area() only: a second CPU spins for the search, not the whole allocation", () => {
    const machine = smallMachine();
    const vmalloc = new Vmalloc(machine, { flush: "lazy", allocator: "global-lock" });
    const alloc = machine.profile.parameters.vmap_area_alloc_cycles.value;
    // Both CPUs start together; CPU 1 allocates right after CPU 0.
    vmalloc.vmap(0, pages(1), PAGE_KERNEL);
    vmalloc.vmap(1, pages(1), PAGE_KERNEL);
    const spin = machine.ledger.categoryTotal(Cat.lock_spin);
    // The work done outside the lock (kmem_cache_alloc and the rest of the fitted figure)
    // overlaps on both CPUs; only the locked search can make CPU 1 wait.
    expect(spin).toBeLessThan(alloc / 4);
  });

  it("the locked search costs one node per level of the free tree: more free areas (fragmentation), more cost", () => {
    expect(Vmalloc.treeDepth(1)).toBe(1);
    expect(Vmalloc.treeDepth(3)).toBe(2);
    expect(Vmalloc.treeDepth(1000)).toBe(10);
    const search = (fragment: boolean) => {
      const machine = smallMachine();
      const vmalloc = new Vmalloc(machine, { flush: "lazy", allocator: "global-lock" });
      const areas = Array.from({ length: 200 }, () => vmalloc.vmap(0, pages(1), PAGE_KERNEL));
      if (fragment) {
        // Free every other area and purge: 100 separate holes in the free tree.
        for (let i = 0; i < areas.length; i += 2) vmalloc.vunmap(0, areas[i]);
        vmalloc.purgeLazy(0);
      }
      const before = machine.ledger.categoryTotal(Cat.vmap_alloc);
      vmalloc.vmap(0, pages(4), PAGE_KERNEL); // does not fit a 2-page hole
      return machine.ledger.categoryTotal(Cat.vmap_alloc) - before;
    };
    const perNode = smallMachine().profile.parameters.vmap_area_search_cycles.value;
    expect(search(true) - search(false)).toBe(
      perNode * (Vmalloc.treeDepth(101) - Vmalloc.treeDepth(1)),
    );
  });

  it("purge_fragmented_blocks_allcpus() from vm_unmap_aliases() retires blocks whose space is all used or dirty", () => {
    const machine = smallMachine();
    const vmalloc = new Vmalloc(machine, { flush: "lazy", allocator: "global-lock" });
    const perBlock = vmalloc.blockPages / 4;
    // Block A: all but one 4-page slot allocated, every allocation freed: free + dirty = BITS.
    const a = Array.from({ length: perBlock - 1 }, () =>
      vmalloc.vmMapRam(0, pages(4), PAGE_KERNEL),
    );
    for (const vpn of a) vmalloc.vmUnmapRam(0, vpn, 4);
    // Block B on CPU 1: wholly allocated (free = 0, off the free list), all but one freed.
    const b = Array.from({ length: perBlock }, () => vmalloc.vmMapRam(1, pages(4), PAGE_KERNEL));
    for (const vpn of b.slice(1)) vmalloc.vmUnmapRam(1, vpn, 4);
    expect(vmalloc.lazyPages).toBe(0);
    expect(vmalloc.fragmentedBlocksPurged).toBe(0);
    vmalloc.vmUnmapAliases(2);
    // A is retired (and purged with its flush); B is not seen (6.1 misses free == 0 blocks).
    expect(vmalloc.fragmentedBlocksPurged).toBe(1);
    expect(machine.ledger.events[Ev.vmap_purges]).toBe(1);
    // Nothing fragmented is left: a second call retires nothing more.
    vmalloc.vmUnmapAliases(2);
    expect(vmalloc.fragmentedBlocksPurged).toBe(1);
  });

  it("the lazy drain runs on the CPU's kworker thread, not inside the caller's operation", () => {
    // 1 CPU: lazy_max_pages = 8192; each vmap of 4 pages frees 5 lazily.
    const result = simulate(
      vmapAlias,
      BUILTIN_WORKLOADS["vmap-churn"],
      { loops: 4000, threads: 1, stray_every: 0 },
      { machine: { cpus: 1 } },
    );
    expect(result.metrics["events.vmap_purges"]).toBe(2);
    // One thread on the CPU: after the first switch to it, every context switch is to or
    // from the kworker that runs drain_vmap_work.
    expect(result.metrics["events.context_switches"]).toBe(1 + 2 * 2);
  });

  it("VMAP_BBMAP_BITS follows NR_CPUS, a build constant, not the online CPU count", () => {
    expect(
      new Vmalloc(smallMachine(), { flush: "lazy", allocator: "global-lock" }).blockPages,
    ).toBe(1024);
    const big = smallMachine({ nrCpus: 8192 });
    expect(big.cpus).toBe(4);
    expect(new Vmalloc(big, { flush: "lazy", allocator: "global-lock" }).blockPages).toBe(256);
  });
});

describe("vm_map_ram() for short-lived handed-off mappings", () => {
  it("vmap-alias maps a global (handed-off) request from a per-CPU vmap block, a long-term one with vmap()", async () => {
    const { setUp } = await import("../strategies/helpers.ts");
    const s = setUp(vmapAlias);
    const first = s.map(s.t[0], [0], "write", "global");
    const second = s.map(s.t[0], [1], "write", "global");
    expect(second.vpns[0] - first.vpns[0]).toBe(1); // bump allocation, no guard page
    // Another CPU can use and unmap it (vb_free() finds the block by address).
    expect(s.unmap(s.t[1], first).kind).toBe("ok");
    const long = s.map(s.t[0], [2], "write", "long-term");
    const after = s.map(s.t[0], [3], "write", "long-term");
    expect(after.vpns[0] - long.vpns[0]).toBe(2); // vmap(): one page plus its guard
  });
});
