/**
 * vmalloc space's areas (mm/vmalloc.c, 6.1, with 6.9's vmap nodes as an option): the free
 * and busy trees, the lazy purge and its drain worker, vmap() and vunmap(). The per-CPU
 * vmap blocks of vm_map_ram() are the layer above (vmalloc.ts), as in the kernel, where
 * they are carved out of areas from this allocator.
 *
 * @packageDocumentation
 */
import { Cat, Ev } from "../ledger.ts";
import type { Machine } from "../machine/index.ts";

/**
 * How unmapped vmalloc space is flushed: `lazy` is the 2008 rewrite (Piggin) kept in 6.1,
 * where vunmap leaves TLB entries alive and a purge flushes everything once the lazily
 * freed space passes lazy_max_pages(); `eager` flushes on every unmap (the pre-2008 shape).
 */
export type VmapFlushMode = "lazy" | "eager";
/**
 * `global-lock`: 6.1's global free/busy/purge trees, each behind one spinlock.
 * `per-cpu-nodes`: 6.9's vmap nodes (Rezki, "Mitigate a vmap lock contention" v3): per-node
 * busy trees and size-segregated pools of up to 256 pages, with 25% decay at each purge.
 */
export type VmapAllocator = "global-lock" | "per-cpu-nodes";

export interface VmallocOptions {
  readonly flush: VmapFlushMode;
  readonly allocator: VmapAllocator;
}

/** VMAP_MAX_ALLOC = BITS_PER_LONG: vm_map_ram() requests up to 64 pages use per-CPU blocks. */
export const VMAP_MAX_ALLOC = 64;
/** 6.9 vmap nodes: at most 128 nodes, pools serve requests up to 256 pages. */
export const VMAP_MAX_NODES = 128;
export const VMAP_POOL_MAX_PAGES = 256;

/** fls(): index of the most significant set bit, 1-based (fls(1) = 1, fls(16) = 5). */
export function fls(value: number): number {
  return value <= 0 ? 0 : 32 - Math.clz32(value);
}

/** lazy_max_pages() = fls(num_online_cpus()) * (32 MiB / PAGE_SIZE) (mm/vmalloc.c). */
export function lazyMaxPages(onlineCpus: number): number {
  return fls(onlineCpus) * ((32 * 1024 * 1024) / 4096);
}

/**
 * VMAP_BBMAP_BITS = min(1024, max(2 * VMAP_MAX_ALLOC, VMALLOC_PAGES / roundup_pow_of_two(NR_CPUS) / 16))
 * with VMALLOC_SPACE guessed as 128 GiB on 64-bit (mm/vmalloc.c): 1024 pages up to 2048 CPUs.
 */
export function vmapBlockPages(nrCpus: number): number {
  const vmallocPages = 2 ** 25;
  const roundedCpus = 2 ** Math.ceil(Math.log2(Math.max(1, nrCpus)));
  return Math.min(1024, Math.max(2 * VMAP_MAX_ALLOC, Math.floor(vmallocPages / roundedCpus / 16)));
}

/** One vmap_area. */
export interface Area {
  start: number;
  pages: number;
  /** Pages that carry a mapping (the guard page does not). */
  mapped: number;
  node: number;
}

/**
 * The allocator of vmalloc-space areas and its TLB-flush policy. Addresses are machine
 * vpns in the vmalloc area.
 *
 * Simplifications: the free space is a sorted interval list with lowest-address first fit
 * (the kernel uses an augmented rb-tree with the same policy; the search cost is one
 * parameter, not a function of tree depth); the drain worker runs on the CPU that queued it.
 */
export class VmapAreas {
  readonly machine: Machine;
  readonly options: VmallocOptions;
  /** vmap_lazy_nr: lazily freed pages awaiting a purge. */
  lazyPages = 0;
  /** Free intervals [start, end) in vmalloc-area page indices, sorted by start. */
  readonly #free: [number, number][];
  /** Allocated areas by start (the busy tree). */
  protected readonly busy = new Map<number, Area>();
  #lazy: Area[] = [];
  /** Per-node pools of freed areas, by size (per-cpu-nodes only). */
  readonly #pools: Map<number, Area[]>[];
  readonly #nodes: number;
  readonly #lockFree: number;
  readonly #lockBusy: number[];
  /** vmap_purge_lock, a mutex (sleeping). */
  readonly #lockPurge: number;
  /** purge_vmap_area_lock, the spinlock of the lazy (purge) tree and list. */
  readonly #lockPurgeList: number;
  /** Purges run by the drain worker (drain_vmap_work on a kworker). */
  drainRuns = 0;
  readonly #p: {
    alloc: number;
    free: number;
    search: number;
    purgeArea: number;
  };

  constructor(machine: Machine, options: VmallocOptions) {
    this.machine = machine;
    this.options = options;
    this.#free = [[0, machine.config.vmallocPages]];
    this.#nodes =
      options.allocator === "per-cpu-nodes" ? Math.min(machine.cpus, VMAP_MAX_NODES) : 1;
    this.#pools = Array.from({ length: this.#nodes }, () => new Map());
    this.#lockFree = machine.lockId("free_vmap_area_lock");
    this.#lockBusy = Array.from({ length: this.#nodes }, (_, node) =>
      machine.lockId(this.#nodes === 1 ? "vmap_area_lock" : `vmap_node_lock_${node}`),
    );
    this.#lockPurge = machine.lockId("vmap_purge_lock");
    this.#lockPurgeList = machine.lockId("purge_vmap_area_lock");
    this.#p = {
      alloc: machine.parameterId("vmap_area_alloc_cycles"),
      free: machine.parameterId("vmap_area_free_cycles"),
      search: machine.parameterId("vmap_area_search_cycles"),
      purgeArea: machine.parameterId("vmap_purge_area_cycles"),
    };
  }

  /** lazy_max_pages() for this machine. */
  get lazyMaxPages(): number {
    return lazyMaxPages(this.machine.cpus);
  }

  /** Lazily freed areas not yet purged. */
  get lazyAreas(): number {
    return this.#lazy.length;
  }

  #nodeOf(cpu: number): number {
    return cpu % this.#nodes;
  }

  #firstFit(pages: number, align: number): number {
    const free = this.#free;
    for (let i = 0; i < free.length; i++) {
      const [start, end] = free[i];
      const aligned = Math.ceil(start / align) * align;
      if (aligned + pages > end) continue;
      const pieces: [number, number][] = [];
      if (aligned > start) pieces.push([start, aligned]);
      if (aligned + pages < end) pieces.push([aligned + pages, end]);
      free.splice(i, 1, ...pieces);
      return aligned;
    }
    return -1;
  }

  #release(start: number, pages: number): void {
    const free = this.#free;
    let low = 0;
    let high = free.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (free[mid][0] < start) low = mid + 1;
      else high = mid;
    }
    free.splice(low, 0, [start, start + pages]);
    // Merge with neighbours, as the free tree's merge_or_add_vmap_area does.
    if (low + 1 < free.length && free[low][1] === free[low + 1][0]) {
      free[low][1] = free[low + 1][1];
      free.splice(low + 1, 1);
    }
    if (low > 0 && free[low - 1][1] === free[low][0]) {
      free[low - 1][1] = free[low][1];
      free.splice(low, 1);
    }
  }

  /**
   * Nodes an augmented rb-tree descent visits over `areas` nodes: one per level of a
   * balanced tree, ceil(log2(areas + 1)) (find_vmap_lowest_match() walks down using
   * subtree_max_size). More free areas, i.e. more fragmentation, means a deeper walk.
   */
  static treeDepth(areas: number): number {
    return areas <= 0 ? 0 : Math.ceil(Math.log2(areas + 1));
  }

  /**
   * alloc_vmap_area() (mm/vmalloc.c, 6.1): kmem_cache_alloc() of the vmap_area and the
   * caller's other allocations happen before any lock (charged as vmap_area_alloc_cycles,
   * the figure fitted to E10); then free_vmap_area_lock is held around __alloc_vmap_area()
   * only, whose first-fit descent costs vmap_area_search_cycles per tree level over the
   * current free areas; then vmap_area_lock around the busy-tree insert. A per-node pool
   * hit (per-cpu-nodes, up to 256 pages) avoids the global free tree. On overflow it
   * purges synchronously (purge_vmap_area_lazy(), with purge_fragmented_blocks_allcpus())
   * and retries the locked search once.
   */
  protected allocArea(cpu: number, pages: number, align: number, mapped: number): Area | undefined {
    const machine = this.machine;
    const ledger = machine.ledger;
    const node = this.#nodeOf(cpu);
    ledger.charge(cpu, Cat.vmap_alloc, this.#p.alloc);
    let start = -1;
    if (this.#nodes > 1 && pages <= VMAP_POOL_MAX_PAGES && align === 1) {
      const pool = this.#pools[node].get(pages);
      if (pool && pool.length > 0) {
        machine.acquire(cpu, this.#lockBusy[node]);
        start = pool.pop()!.start;
        machine.release(cpu, this.#lockBusy[node]);
      }
    }
    if (start < 0) {
      for (let attempt = 0; attempt < 2 && start < 0; attempt++) {
        machine.acquire(cpu, this.#lockFree);
        ledger.charge(cpu, Cat.vmap_alloc, this.#p.search, VmapAreas.treeDepth(this.#free.length));
        start = this.#firstFit(pages, align);
        machine.release(cpu, this.#lockFree);
        if (start < 0 && attempt === 0) {
          this.purgeFragmentedBlocks(cpu);
          this.purgeLazy(cpu);
        }
      }
      if (start < 0) return undefined;
    }
    const area: Area = { start, pages, mapped, node };
    machine.acquire(cpu, this.#lockBusy[node]);
    this.busy.set(start, area);
    machine.release(cpu, this.#lockBusy[node]);
    return area;
  }

  /**
   * free_vmap_area_noflush(): the caller's freeing work outside any lock
   * (vmap_area_free_cycles, fitted with the alloc figure); vmap_area_lock around the
   * busy-tree unlink; purge_vmap_area_lock around the merge into the lazy tree; past
   * lazy_max_pages(), schedule_work(&drain_vmap_work): the purge runs later
   * on this CPU's kworker, not in the caller.
   */
  protected freeAreaLazy(cpu: number, area: Area): void {
    const machine = this.machine;
    machine.ledger.charge(cpu, Cat.vmap_alloc, this.#p.free);
    machine.acquire(cpu, this.#lockBusy[area.node]);
    this.busy.delete(area.start);
    machine.release(cpu, this.#lockBusy[area.node]);
    // The purge-tree insert's own work is inside the fitted vmap_area_free_cycles (charged
    // above; E10 cannot split it without a re-fit), so this hold is the lock's own cost.
    machine.acquire(cpu, this.#lockPurgeList);
    this.#lazy.push(area);
    machine.release(cpu, this.#lockPurgeList);
    this.lazyPages += area.pages;
    if (this.lazyPages > this.lazyMaxPages) {
      machine.queueWork(cpu, "drain_vmap_work", () => this.#drainWork(cpu));
    }
  }

  /**
   * drain_vmap_area_work() on the kworker: purge under vmap_purge_lock, and again while
   * the lazily freed space is still above lazy_max_pages().
   */
  #drainWork(cpu: number): void {
    do {
      this.drainRuns++;
      this.purgeLazy(cpu);
    } while (this.lazyPages > this.lazyMaxPages);
  }

  /** Eager policy: flush the area's range on every CPU now, then free it at once. */
  protected freeAreaEager(cpu: number, area: Area): void {
    const machine = this.machine;
    machine.flushTlbKernelRange(cpu, machine.vmallocBase + area.start, area.mapped);
    machine.ledger.charge(cpu, Cat.vmap_alloc, this.#p.free);
    machine.acquire(cpu, this.#lockBusy[area.node]);
    this.busy.delete(area.start);
    machine.release(cpu, this.#lockBusy[area.node]);
    this.returnArea(cpu, area);
  }

  /** One area back to the free tree (merge_or_add_vmap_area() under free_vmap_area_lock) or its node pool. */
  protected returnArea(cpu: number, area: Area): void {
    this.#returnAreas(cpu, [area]);
  }

  /**
   * Areas back to their node pools (per-cpu-nodes, up to 256 pages) or, under one hold of
   * free_vmap_area_lock, merged into the free tree at vmap_purge_area_cycles each (the
   * merge walk of __purge_vmap_area_lazy()).
   */
  #returnAreas(cpu: number, areas: readonly Area[]): void {
    const machine = this.machine;
    const toTree: Area[] = [];
    for (const area of areas) {
      if (this.#nodes > 1 && area.pages <= VMAP_POOL_MAX_PAGES) {
        const pools = this.#pools[area.node];
        const pool = pools.get(area.pages) ?? [];
        pool.push(area);
        pools.set(area.pages, pool);
      } else {
        toTree.push(area);
      }
    }
    const pooled = areas.length - toTree.length;
    // 6.9 node pools: the per-node pool lock, never contended in this model.
    if (pooled > 0) machine.ledger.charge(cpu, Cat.vmap_alloc, this.#p.purgeArea, pooled);
    if (toTree.length === 0) return;
    machine.acquire(cpu, this.#lockFree);
    machine.ledger.charge(cpu, Cat.vmap_alloc, this.#p.purgeArea, toTree.length);
    for (const area of toTree) this.#release(area.start, area.pages);
    machine.release(cpu, this.#lockFree);
  }

  /**
   * __purge_vmap_area_lazy(), under the vmap_purge_lock mutex: take the whole lazy list
   * (purge_vmap_area_lock held only for that), one flush_tlb_kernel_range() over
   * [lowest, highest] lazily freed address (plus `extra`, the dirty vmap-block range from
   * vm_unmap_aliases), then merge every area back under free_vmap_area_lock. Returns
   * whether anything was purged.
   */
  purgeLazy(cpu: number, extra?: [number, number]): boolean {
    const machine = this.machine;
    if (this.#lazy.length === 0 && !extra) return false;
    machine.acquire(cpu, this.#lockPurge, true);
    machine.acquire(cpu, this.#lockPurgeList);
    const areas = this.#lazy;
    this.#lazy = [];
    machine.release(cpu, this.#lockPurgeList);
    let low = extra ? extra[0] : Number.POSITIVE_INFINITY;
    let high = extra ? extra[1] : Number.NEGATIVE_INFINITY;
    for (const area of areas) {
      low = Math.min(low, area.start);
      high = Math.max(high, area.start + area.pages);
    }
    if (high > low) {
      machine.flushTlbKernelRange(cpu, machine.vmallocBase + low, high - low);
    }
    if (areas.length > 0) {
      machine.ledger.count(Ev.vmap_purges);
      if (this.#nodes > 1) this.#decayPools(cpu);
      this.#returnAreas(cpu, areas);
    }
    this.lazyPages = 0;
    machine.release(cpu, this.#lockPurge);
    return areas.length > 0;
  }

  /** 6.9 pool decay: a quarter of each node pool goes back to the global free tree. */
  #decayPools(cpu: number): void {
    for (const pools of this.#pools) {
      for (const pool of pools.values()) {
        const drop = Math.floor(pool.length / 4);
        for (let i = 0; i < drop; i++) {
          const area = pool.shift()!;
          this.machine.acquire(cpu, this.#lockFree);
          this.#release(area.start, area.pages);
          this.machine.release(cpu, this.#lockFree);
        }
      }
    }
  }

  /**
   * Space held by the layer above that an allocation failing for want of space retires
   * first (purge_fragmented_blocks_allcpus(), vmalloc.ts); none here.
   */
  protected purgeFragmentedBlocks(_cpu: number): void {}

  protected mapPages(cpu: number, start: number, pfns: ArrayLike<number>, pte: number): number {
    const vpn = this.machine.vmallocBase + start;
    for (let i = 0; i < pfns.length; i++) this.machine.setKernelPte(cpu, vpn + i, pfns[i], pte);
    return vpn;
  }

  protected unmapPages(cpu: number, vpn: number, count: number): void {
    for (let i = 0; i < count; i++) this.machine.clearKernelPte(cpu, vpn + i);
  }

  /**
   * vmap(): a vm_struct and a vmap_area of count + 1 pages (the guard page), PTEs written
   * with no flush. Returns the alias vpn, or -1 when vmalloc space is exhausted.
   */
  vmap(cpu: number, pfns: ArrayLike<number>, pte: number): number {
    const area = this.allocArea(cpu, pfns.length + 1, 1, pfns.length);
    if (!area) return -1;
    return this.mapPages(cpu, area.start, pfns, pte);
  }

  /**
   * vunmap(): clear the PTEs without a flush, then free the area lazily (stale TLB entries
   * stay usable until the next purge) or, with the eager policy, flush now.
   */
  vunmap(cpu: number, vpn: number): void {
    const start = vpn - this.machine.vmallocBase;
    const area = this.busy.get(start);
    if (!area) throw new Error(`vunmap: no vmap area at vpn ${vpn}`);
    this.unmapPages(cpu, vpn, area.mapped);
    if (this.options.flush === "eager") this.freeAreaEager(cpu, area);
    else this.freeAreaLazy(cpu, area);
  }
}
