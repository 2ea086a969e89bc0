import { describe, expect, it } from "vitest";
import { fls, lazyMaxPages, Vmalloc, vmapBlockPages } from "../../core/kernel/vmalloc.ts";
import { Ev } from "../../core/ledger.ts";
import { FAULT_NOT_PRESENT, OK, WRITE } from "../../core/machine/index.ts";
import { PAGE_KERNEL } from "../../core/machine/pte.ts";
import { PAGE, smallMachine } from "./helpers.ts";

describe("lazy_max_pages() = fls(num_online_cpus()) * 32 MiB / PAGE_SIZE (mm/vmalloc.c)", () => {
  it.each([
    [1, 8192],
    [2, 16384],
    [4, 24576],
    [16, 40960],
    [96, 57344],
    [255, 65536],
  ])("%i CPUs → %i pages", (cpus, pages) => {
    expect(lazyMaxPages(cpus)).toBe(pages);
  });

  it("fls is 1-based", () => {
    expect([fls(0), fls(1), fls(2), fls(3), fls(16)]).toEqual([0, 1, 2, 2, 5]);
  });

  it("vmap blocks are 1024 pages up to 2048 CPUs (VMAP_BBMAP_BITS)", () => {
    expect(vmapBlockPages(16)).toBe(1024);
    expect(vmapBlockPages(2048)).toBe(1024);
    expect(vmapBlockPages(8192)).toBe(256);
  });
});

/** A small machine and its vmalloc with lazy purges and the global vmap_area_lock. */
function lazyVmalloc() {
  const machine = smallMachine();
  return { machine, vmalloc: new Vmalloc(machine, { flush: "lazy", allocator: "global-lock" }) };
}

function pages(count: number): number[] {
  return Array.from({ length: count }, (_, i) => PAGE + i);
}

describe("vmap/vunmap", () => {
  it("vmap writes PTEs with no flush and reserves a guard page after the mapping", () => {
    const { machine, vmalloc } = lazyVmalloc();
    const first = vmalloc.vmap(0, pages(4), PAGE_KERNEL);
    const second = vmalloc.vmap(0, pages(1), PAGE_KERNEL);
    expect(second - first).toBe(5); // 4 pages + guard
    expect(machine.access(0, first + 4, WRITE)).toBe(FAULT_NOT_PRESENT); // the guard
    expect(machine.ledger.events[Ev.shootdowns]).toBe(0);
  });

  it("lazy vunmap leaves stale aliases usable on CPUs that cached them until the purge", () => {
    const { machine, vmalloc } = lazyVmalloc();
    const alias = vmalloc.vmap(0, pages(1), PAGE_KERNEL);
    expect(machine.access(1, alias, WRITE)).toBe(OK);
    vmalloc.vunmap(0, alias);
    expect(machine.ledger.events[Ev.shootdowns]).toBe(0);
    expect(machine.access(1, alias, WRITE)).toBe(OK); // stale alias on CPU 1
    expect(machine.lastPfn).toBe(PAGE);
    vmalloc.purgeLazy(0);
    expect(machine.access(1, alias, WRITE)).toBe(FAULT_NOT_PRESENT);
  });

  it("queues the drain (schedule_work(&drain_vmap_work)) only when the lazily freed space passes lazy_max_pages(); the kworker purges", () => {
    const machine = smallMachine(); // 4 CPUs: threshold 24576 pages
    const vmalloc = new Vmalloc(machine, { flush: "lazy", allocator: "global-lock" });
    const perUnmap = 5; // 4 pages + guard
    const unmapsBeforePurge = Math.floor(vmalloc.lazyMaxPages / perUnmap);
    for (let i = 0; i < unmapsBeforePurge; i++)
      vmalloc.vunmap(0, vmalloc.vmap(0, pages(4), PAGE_KERNEL));
    expect(machine.ledger.events[Ev.vmap_purges]).toBe(0);
    expect(machine.hasQueuedWork(0)).toBe(false);
    vmalloc.vunmap(0, vmalloc.vmap(0, pages(4), PAGE_KERNEL));
    // Not in the caller: free_vmap_area_noflush() only queues the work on this CPU.
    expect(machine.ledger.events[Ev.vmap_purges]).toBe(0);
    expect(machine.hasQueuedWork(0)).toBe(true);
    expect(machine.hasQueuedWork(1)).toBe(false);
    // Queuing it again while pending does nothing (WORK_STRUCT_PENDING_BIT).
    vmalloc.vunmap(0, vmalloc.vmap(0, pages(4), PAGE_KERNEL));
    expect(machine.runQueuedWork(0)).toBe(1);
    expect(machine.ledger.events[Ev.vmap_purges]).toBe(1);
    expect(vmalloc.drainRuns).toBe(1);
    // The purge covers far more than 33 pages: one full flush on every CPU.
    expect(machine.ledger.events[Ev.full_flushes]).toBe(machine.cpus);
    expect(vmalloc.lazyPages).toBe(0);
  });

  it("eager flushing shoots down on every unmap", () => {
    const machine = smallMachine();
    const vmalloc = new Vmalloc(machine, { flush: "eager", allocator: "global-lock" });
    for (let i = 0; i < 10; i++) vmalloc.vunmap(0, vmalloc.vmap(0, pages(4), PAGE_KERNEL));
    expect(machine.ledger.events[Ev.shootdowns]).toBe(10);
    expect(machine.ledger.events[Ev.ipis]).toBe(10 * (machine.cpus - 1));
  });
});

describe("vm_map_ram per-CPU blocks (mm/vmalloc.c vb_alloc/vb_free)", () => {
  it("rounds requests up to a power of two and bump-allocates without reusing freed space", () => {
    const { vmalloc } = lazyVmalloc();
    const a = vmalloc.vmMapRam(0, pages(3), PAGE_KERNEL);
    const b = vmalloc.vmMapRam(0, pages(1), PAGE_KERNEL);
    expect(b - a).toBe(4); // 3 pages took 4
    vmalloc.vmUnmapRam(0, a, 3);
    const c = vmalloc.vmMapRam(0, pages(2), PAGE_KERNEL);
    // Bump allocation: pages_off = VMAP_BBMAP_BITS - free, no alignment, and a's freed
    // space is not reused in 6.1.
    expect(c).toBe(b + 1);
    expect(c).not.toBe(a);
  });

  it("different CPUs use different blocks", () => {
    const { vmalloc } = lazyVmalloc();
    const a = vmalloc.vmMapRam(0, pages(1), PAGE_KERNEL);
    const b = vmalloc.vmMapRam(1, pages(1), PAGE_KERNEL);
    expect(Math.abs(b - a)).toBeGreaterThanOrEqual(vmalloc.blockPages);
  });
});
