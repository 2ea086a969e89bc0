/**
 * vmalloc (mm/vmalloc.c, 6.1): the vmap-area allocator (vmap-areas.ts) and, on top of it,
 * the per-CPU vmap blocks of vm_map_ram(), vm_unmap_ram() and vm_unmap_aliases().
 *
 * @packageDocumentation
 */
import { Cat } from "../ledger.ts";
import type { Machine } from "../machine/index.ts";
import { VMAP_MAX_ALLOC, type VmallocOptions, VmapAreas, vmapBlockPages } from "./vmap-areas.ts";

export {
  fls,
  lazyMaxPages,
  VMAP_MAX_ALLOC,
  VMAP_MAX_NODES,
  VMAP_POOL_MAX_PAGES,
  type VmallocOptions,
  type VmapAllocator,
  type VmapFlushMode,
  vmapBlockPages,
} from "./vmap-areas.ts";

/** One vmap_block: a per-CPU bump-allocated run of vmalloc space. */
interface VmapBlock {
  start: number;
  cpu: number;
  free: number;
  dirty: number;
  dirtyMin: number;
  dirtyMax: number;
  onFreeList: boolean;
}

/**
 * The kernel's vmalloc-space allocator and its TLB-flush policy (mm/vmalloc.c, 6.1, with
 * 6.9's vmap nodes as an option): the areas (`VmapAreas`) and the per-CPU vmap blocks.
 */
export class Vmalloc extends VmapAreas {
  readonly blockPages: number;
  readonly #blocks = new Map<number, VmapBlock>();
  readonly #cpuBlocks: VmapBlock[][];
  /** Blocks retired by purge_fragmented_blocks(). */
  fragmentedBlocksPurged = 0;
  readonly #blockAlloc: number;
  readonly #blockFree: number;

  constructor(machine: Machine, options: VmallocOptions) {
    super(machine, options);
    this.blockPages = vmapBlockPages(machine.nrCpus);
    this.#cpuBlocks = Array.from({ length: machine.cpus }, () => []);
    this.#blockAlloc = machine.parameterId("vmap_block_alloc_cycles");
    this.#blockFree = machine.parameterId("vmap_block_free_cycles");
  }

  /**
   * vm_map_ram(): up to VMAP_MAX_ALLOC pages come from this CPU's vmap blocks, rounded up to
   * a power of two and bump-allocated (freed space is not reused until the block is wholly
   * dirty, as in 6.1); larger requests take a vmap_area with no guard page.
   */
  vmMapRam(cpu: number, pfns: ArrayLike<number>, pte: number): number {
    const count = pfns.length;
    if (count > VMAP_MAX_ALLOC) {
      const area = this.allocArea(cpu, count, 1, count);
      if (!area) return -1;
      return this.mapPages(cpu, area.start, pfns, pte);
    }
    const size = 2 ** Math.ceil(Math.log2(count));
    const list = this.#cpuBlocks[cpu];
    let block = list.find((candidate) => candidate.free >= size);
    if (!block) {
      const area = this.allocArea(cpu, this.blockPages, this.blockPages, 0);
      if (!area) return -1;
      block = {
        start: area.start,
        cpu,
        free: this.blockPages,
        dirty: 0,
        dirtyMin: this.blockPages,
        dirtyMax: 0,
        onFreeList: true,
      };
      this.#blocks.set(area.start, block);
      list.push(block);
    }
    this.machine.ledger.charge(cpu, Cat.vmap_alloc, this.#blockAlloc);
    const offset = this.blockPages - block.free;
    block.free -= size;
    if (block.free === 0) {
      block.onFreeList = false;
      list.splice(list.indexOf(block), 1);
    }
    return this.mapPages(cpu, block.start + offset, pfns, pte);
  }

  /** vm_unmap_ram(): clear PTEs with no flush; a wholly dirty block is freed lazily. */
  vmUnmapRam(cpu: number, vpn: number, count: number): void {
    const start = vpn - this.machine.vmallocBase;
    if (count > VMAP_MAX_ALLOC) {
      const area = this.busy.get(start);
      if (!area) throw new Error(`vm_unmap_ram: no area at vpn ${vpn}`);
      this.unmapPages(cpu, vpn, count);
      if (this.options.flush === "eager") this.freeAreaEager(cpu, area);
      else this.freeAreaLazy(cpu, area);
      return;
    }
    const blockStart = start - (start % this.blockPages);
    const block = this.#blocks.get(blockStart);
    if (!block) throw new Error(`vm_unmap_ram: no vmap block at vpn ${vpn}`);
    const size = 2 ** Math.ceil(Math.log2(count));
    this.unmapPages(cpu, vpn, count);
    this.machine.ledger.charge(cpu, Cat.vmap_alloc, this.#blockFree);
    const offset = start - blockStart;
    block.dirtyMin = Math.min(block.dirtyMin, offset);
    block.dirtyMax = Math.max(block.dirtyMax, offset + size);
    block.dirty += size;
    if (this.options.flush === "eager") {
      this.machine.flushTlbKernelRange(cpu, vpn, count);
    }
    if (block.dirty === this.blockPages) {
      this.#blocks.delete(blockStart);
      const list = this.#cpuBlocks[block.cpu];
      if (block.onFreeList) list.splice(list.indexOf(block), 1);
      const area = this.busy.get(blockStart);
      if (area) {
        if (this.options.flush === "eager") {
          this.busy.delete(area.start);
          this.returnArea(cpu, area);
        } else {
          this.freeAreaLazy(cpu, area);
        }
      }
    }
  }

  /**
   * purge_fragmented_blocks_allcpus(): every block on a CPU's free list whose space is all
   * used or dirty (free + dirty == VMAP_BBMAP_BITS) but not wholly dirty is retired: its
   * VA goes to the lazy list (free_vmap_block() -> free_vmap_area_noflush()). A block with
   * free == 0 is off the free list and is not seen (the 6.1 gap).
   */
  protected override purgeFragmentedBlocks(cpu: number): void {
    for (const list of this.#cpuBlocks) {
      for (let i = list.length - 1; i >= 0; i--) {
        const block = list[i];
        if (block.free + block.dirty !== this.blockPages || block.dirty === this.blockPages)
          continue;
        list.splice(i, 1);
        block.onFreeList = false;
        this.#blocks.delete(block.start);
        this.fragmentedBlocksPurged++;
        const area = this.busy.get(block.start);
        if (area) this.freeAreaLazy(cpu, area);
      }
    }
  }

  /**
   * vm_unmap_aliases() (_vm_unmap_aliases): note the dirty ranges of blocks still on a
   * CPU's free list (6.1 misses wholly allocated blocks, fixed upstream in 2023), then
   * under vmap_purge_lock purge_fragmented_blocks_allcpus() and purge the lazy areas with
   * one flush over everything (or, if nothing was lazy, over the dirty ranges alone).
   */
  vmUnmapAliases(cpu: number): void {
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    for (const list of this.#cpuBlocks) {
      for (const block of list) {
        if (block.dirty === 0 || block.dirty === this.blockPages) continue;
        low = Math.min(low, block.start + block.dirtyMin);
        high = Math.max(high, block.start + block.dirtyMax);
      }
    }
    const extra: [number, number] | undefined = high > low ? [low, high] : undefined;
    this.purgeFragmentedBlocks(cpu);
    this.purgeLazy(cpu, extra);
  }
}
