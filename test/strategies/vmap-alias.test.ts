import { describe, expect, it } from "vitest";
import { lazyMaxPages } from "../../core/kernel/vmalloc.ts";
import * as hw from "../../core/machine/index.ts";
import vmapAlias from "../../strategies/vmap-alias.ts";
import { events, moved, setUp } from "./helpers.ts";

describe("vmap-alias (optimized vmap)", () => {
  it("keeps the region read-only (write-disable) or not present (access-disable) in the direct map", () => {
    const wd = setUp(vmapAlias, { keyMode: "write-disable" });
    const page = wd.region.pfns[0];
    expect(wd.machine.access(2, page, hw.READ)).toBe(hw.OK);
    expect(wd.machine.access(2, page, hw.WRITE)).toBe(hw.FAULT_WRITE_PROTECT);
    const ad = setUp(vmapAlias, { keyMode: "access-disable" });
    expect(ad.machine.access(2, ad.region.pfns[0], hw.READ)).toBe(hw.FAULT_NOT_PRESENT);
  });

  it("maps a writable alias that every CPU can use while it is mapped", () => {
    const s = setUp(vmapAlias);
    const before = events(s.machine);
    const mapping = s.map(s.t[0], [0, 1, 2], "write", "global");
    expect(mapping.contiguous).toBe(true);
    expect(s.machine.isVmalloc(mapping.vpns[0])).toBe(true);
    // PTE writes only: vmap() never flushes on map.
    expect(moved(before, events(s.machine))).toMatchObject({ pte_writes: 3 });
    expect(s.event("shootdowns")).toBe(before.shootdowns);
    expect(s.machine.access(1, mapping.vpns[2], hw.WRITE)).toBe(hw.OK);
    expect(s.machine.lastPfn).toBe(s.region.pfns[2]);
    expect(s.machine.access(1, mapping.vpns[2] + 1, hw.WRITE)).toBe(hw.FAULT_NOT_PRESENT); // guard
  });

  it("eager: every unmap flushes on every CPU", () => {
    const s = setUp(vmapAlias, { options: { flush: "eager" } });
    const before = events(s.machine);
    for (let i = 0; i < 10; i++) s.unmap(s.t[0], s.map(s.t[0], [i % 16], "write", "local"));
    const delta = moved(before, events(s.machine));
    expect(delta.shootdowns).toBe(10);
    expect(delta.ipis).toBe(10 * (s.machine.cpus - 1));
  });

  it("lazy: the same unmaps flush nothing until lazily freed space passes lazy_max_pages()", () => {
    const s = setUp(vmapAlias, { pages: 64 });
    const threshold = lazyMaxPages(s.machine.cpus); // 3 × 8192 pages on 4 CPUs
    expect(threshold).toBe(24576);
    const before = events(s.machine);
    const all = Array.from({ length: 64 }, (_, i) => i);
    // A 64-page long-term vmap() frees 65 pages lazily (guard included).
    const belowThreshold = Math.floor(threshold / 65);
    for (let i = 0; i < belowThreshold; i++) {
      s.unmap(s.t[0], s.map(s.t[0], all, "write", "long-term"));
    }
    expect(moved(before, events(s.machine)).shootdowns).toBeUndefined();
    expect(s.vmalloc()!.lazyPages).toBe(belowThreshold * 65);
    s.unmap(s.t[0], s.map(s.t[0], all, "write", "long-term"));
    expect(moved(before, events(s.machine)).vmap_purges).toBeUndefined(); // queued only
    s.machine.runQueuedWork(0); // the kworker's drain_vmap_work
    const delta = moved(before, events(s.machine));
    expect(delta.vmap_purges).toBe(1);
    expect(delta.shootdowns).toBe(1);
    // One flush_tlb_kernel_range() far above 33 pages: a full flush on every CPU.
    expect(delta.full_flushes).toBe(s.machine.cpus);
  });

  it("lazy local maps use per-CPU vm_map_ram() blocks: freed only when wholly dirty, purged past the threshold", () => {
    const s = setUp(vmapAlias);
    const blockPages = s.vmalloc()!.blockPages; // 1024
    const perBlock = blockPages / 4; // 4-page requests
    const threshold = lazyMaxPages(s.machine.cpus);
    const blocksBeforePurge = threshold / blockPages; // exactly at the threshold: no purge yet
    for (let i = 0; i < blocksBeforePurge * perBlock; i++) {
      s.unmap(s.t[0], s.map(s.t[0], [0, 1, 2, 3], "write", "local"));
    }
    expect(s.vmalloc()!.lazyPages).toBe(threshold);
    expect(s.event("vmap_purges")).toBe(0);
    for (let i = 0; i < perBlock; i++)
      s.unmap(s.t[0], s.map(s.t[0], [0, 1, 2, 3], "write", "local"));
    expect(s.event("vmap_purges")).toBe(0);
    s.machine.runQueuedWork(0);
    expect(s.event("vmap_purges")).toBe(1);
  });

  it("a stale alias is still writable from a CPU that cached it, until the purge", () => {
    const s = setUp(vmapAlias);
    const mapping = s.map(s.t[0], [5], "write", "local");
    const alias = mapping.vpns[0];
    expect(s.machine.access(0, alias, hw.WRITE)).toBe(hw.OK);
    expect(s.machine.access(1, alias, hw.WRITE)).toBe(hw.OK);
    s.unmap(s.t[0], mapping);
    // The PTE is gone, but both TLBs still hold it: the write lands on the protected page.
    expect(s.machine.access(1, alias, hw.WRITE)).toBe(hw.OK);
    expect(s.machine.lastPfn).toBe(s.region.pfns[5]);
    expect(s.machine.access(0, alias, hw.WRITE)).toBe(hw.OK);
    // A CPU that never cached it faults.
    expect(s.machine.access(2, alias, hw.WRITE)).toBe(hw.FAULT_NOT_PRESENT);
    // vm_unmap_aliases() (what every set_memory_*() does first) purges: the window closes.
    s.vmalloc()!.vmUnmapAliases(3);
    expect(s.machine.access(1, alias, hw.WRITE)).toBe(hw.FAULT_NOT_PRESENT);
    expect(s.machine.access(0, alias, hw.WRITE)).toBe(hw.FAULT_NOT_PRESENT);
  });

  it("eager unmapping leaves no stale alias", () => {
    const s = setUp(vmapAlias, { options: { flush: "eager" } });
    const mapping = s.map(s.t[0], [5], "write", "local");
    expect(s.machine.access(1, mapping.vpns[0], hw.WRITE)).toBe(hw.OK);
    s.unmap(s.t[0], mapping);
    expect(s.machine.access(1, mapping.vpns[0], hw.WRITE)).toBe(hw.FAULT_NOT_PRESENT);
  });

  it("read intent gets a read-only alias", () => {
    const s = setUp(vmapAlias);
    const mapping = s.map(s.t[0], [0], "read", "long-term");
    expect(s.machine.access(0, mapping.vpns[0], hw.READ)).toBe(hw.OK);
    expect(s.machine.access(0, mapping.vpns[0], hw.WRITE)).toBe(hw.FAULT_WRITE_PROTECT);
  });

  it("per-cpu-nodes allocator (6.9) serves vmap() from node pools after the first purge", () => {
    const s = setUp(vmapAlias, { options: { allocator: "per-cpu-nodes" } });
    const mapping = s.map(s.t[0], [0, 1], "write", "long-term");
    expect(s.machine.access(0, mapping.vpns[1], hw.WRITE)).toBe(hw.OK);
    s.unmap(s.t[0], mapping);
    expect(s.vmalloc()!.options.allocator).toBe("per-cpu-nodes");
  });
});
