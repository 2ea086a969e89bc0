/**
 * The kernel page table as the machine holds it, and its lookups (no cost: the hardware
 * walk is charged by `access`). The direct map's PTEs and its leaf sizes (1G, 2M or 4K
 * after splits), the vmalloc area's PTEs and PTE pages, the pkmap pool (x86-32-highmem)
 * and the per-CPU fixmap slots of kmap_local. The writes that change them are in
 * page-table-writes.ts; the address layout itself is in state.ts.
 */
import type { CostProfile } from "../profile.ts";
import { KM_MAX_IDX, type MachineConfig } from "./config.ts";
import { Locks } from "./locks.ts";
import { HIGHMEM_DEFAULTS } from "./params.ts";
import { PAGE_KERNEL, SIZE_1G, SIZE_2M, SIZE_4K, WALK_LEVELS } from "./pte.ts";

/**
 * Per-page machine state is held in 2 MiB chunks (2^9 pages: one 2M leaf) allocated on
 * first use. Runs touch pages scattered over memory, so a chunk is mostly allocated for a
 * few pages: 1 GiB chunks (1 MiB each) cost about 2% of the default comparison, 16 MiB
 * chunks a fifth of claims' CPU time in allocation and collection (issue 19,
 * docs/performance.md).
 */
export const CHUNK_SHIFT = 9;
export const CHUNK_PAGES = 1 << CHUNK_SHIFT;
export const CHUNK_MASK = CHUNK_PAGES - 1;
export const VMALLOC_CHUNK_SHIFT = 16;
export const VMALLOC_CHUNK_PAGES = 1 << VMALLOC_CHUNK_SHIFT;
export const VMALLOC_CHUNK_MASK = VMALLOC_CHUNK_PAGES - 1;

/** PAE page-walk depth by leaf size (PDPT, PD, PT): 3 levels for 4 KiB, 2 for 2 MiB. */
const WALK_LEVELS_PAE = [3, 2, 1] as const;

/** Layer 3 of the machine: the kernel page table's storage and its free lookups. */
export class PageTables extends Locks {
  /**
   * Direct-map PTE of each page, stored XOR PAGE_KERNEL so that zero means "boot state", in
   * CHUNK_PAGES chunks allocated on first change: untouched memory costs nothing to set up.
   */
  protected readonly directPtes: (Uint32Array | undefined)[];
  /** 1: this 1 GiB region of the direct map has been split into 2 MiB leaves. */
  protected readonly split1g: Uint8Array;
  /** 1: this 2 MiB region has been split into 4 KiB leaves. */
  protected readonly split2m: Uint8Array;
  /** vmalloc PTEs as (pte, pfn) pairs in chunks of 2^16 pages allocated on first use. */
  protected readonly vmallocPtes: (Int32Array | undefined)[];
  /** 1: the PTE page for this 2 MiB of vmalloc space exists. */
  protected readonly vmallocPtePage: Uint8Array;
  protected readonly fixmapPte: Uint32Array;
  protected readonly fixmapPfn: Int32Array;
  /** The pkmap pool's PTEs (x86-32-highmem; empty on x86-64). */
  protected readonly pkmapPfn: Int32Array;
  protected readonly pkmapPte: Uint32Array;
  /** Paging-structure levels a walk reads, by leaf size class (4-level or PAE). */
  protected readonly walkLevels: readonly number[];

  constructor(config: MachineConfig, profile: CostProfile) {
    super(config, profile);
    const highmem = this.arch === "x86-32-highmem";
    this.walkLevels = highmem ? WALK_LEVELS_PAE : WALK_LEVELS;
    this.pkmapPfn = new Int32Array(this.pkmapPages).fill(-1);
    this.pkmapPte = new Uint32Array(this.pkmapPages);
    this.directPtes = new Array(Math.ceil(this.pages / CHUNK_PAGES)).fill(undefined);
    const regions1g = Math.ceil(this.pages / (1 << 18));
    const regions2m = Math.ceil(this.pages / (1 << 9));
    this.split1g = new Uint8Array(regions1g);
    this.split2m = new Uint8Array(regions2m);
    if (this.config.directMapLeaf !== "1g") this.split1g.fill(1);
    if (this.config.directMapLeaf === "4k") this.split2m.fill(1);
    // A large leaf never maps past the end of low memory: the one that would straddle it is 4K.
    if (this.lowmemPages < this.pages) {
      if (this.lowmemPages % (1 << 18) !== 0) this.split1g[this.lowmemPages >>> 18] = 1;
      if (this.lowmemPages % (1 << 9) !== 0) this.split2m[this.lowmemPages >>> 9] = 1;
    }
    this.vmallocPtes = new Array(Math.ceil(config.vmallocPages / VMALLOC_CHUNK_PAGES)).fill(
      undefined,
    );
    this.vmallocPtePage = new Uint8Array(Math.ceil(config.vmallocPages / 512));
    this.fixmapPte = new Uint32Array(config.cpus * KM_MAX_IDX);
    this.fixmapPfn = new Int32Array(config.cpus * KM_MAX_IDX);
  }

  /** Leaf size class of the direct-map entry covering `pfn`. */
  directLeafSize(pfn: number): number {
    if (!this.split1g[pfn >>> 18]) return SIZE_1G;
    if (!this.split2m[pfn >>> 9]) return SIZE_2M;
    return SIZE_4K;
  }

  /** Current direct-map PTE bits of `pfn`. */
  directPte(pfn: number): number {
    if (pfn >= this.lowmemPages) return 0; // high memory: not in the direct map
    const chunk = this.directPtes[pfn >>> CHUNK_SHIFT];
    return chunk === undefined ? PAGE_KERNEL : chunk[pfn & CHUNK_MASK] ^ PAGE_KERNEL;
  }

  /** PTE bits for any vpn (0 when not mapped), and the pfn in `walkPfn`. */
  walkPfn = -1;
  pteOf(vpn: number): number {
    if (vpn < this.pages) {
      if (vpn >= this.lowmemPages) {
        // High memory: no direct-map entry.
        this.walkPfn = -1;
        return 0;
      }
      this.walkPfn = vpn;
      const chunk = this.directPtes[vpn >>> CHUNK_SHIFT];
      return chunk === undefined ? PAGE_KERNEL : chunk[vpn & CHUNK_MASK] ^ PAGE_KERNEL;
    }
    if (vpn >= this.vmallocBase && vpn < this.pkmapBase) {
      const index = vpn - this.vmallocBase;
      const chunk = this.vmallocPtes[index >>> VMALLOC_CHUNK_SHIFT];
      if (chunk === undefined) {
        this.walkPfn = -1;
        return 0;
      }
      const slot = (index & VMALLOC_CHUNK_MASK) << 1;
      this.walkPfn = chunk[slot + 1];
      return chunk[slot] >>> 0;
    }
    if (vpn >= this.fixmapBase && vpn < this.vaLimit) {
      const index = vpn - this.fixmapBase;
      this.walkPfn = this.fixmapPfn[index];
      return this.fixmapPte[index];
    }
    if (vpn >= this.pkmapBase && vpn < this.fixmapBase) {
      const index = vpn - this.pkmapBase;
      this.walkPfn = this.pkmapPfn[index];
      return this.pkmapPte[index];
    }
    this.walkPfn = -1;
    return 0;
  }

  isVmalloc(vpn: number): boolean {
    return vpn >= this.vmallocBase && vpn < this.pkmapBase;
  }

  /** Whether `pfn` has a direct-map entry (low memory; every page on x86-64). */
  inDirectMap(pfn: number): boolean {
    return pfn >= 0 && pfn < this.lowmemPages;
  }

  /**
   * Where the engine places a protected region: pages [base, limit). x86-64 and HIGHMEM with
   * regionMemory = highmem: from `defaultBase` (or the end of low memory, if higher) to the
   * end of memory; HIGHMEM with regionMemory = lowmem: from 256 MiB to the end of low
   * memory (a model choice: clear of the kernel image and early allocations).
   */
  regionRange(defaultBase: number): [number, number] {
    if (this.arch === "x86-64") return [defaultBase, this.pages];
    if ((this.config.regionMemory ?? HIGHMEM_DEFAULTS.regionMemory) === "lowmem") {
      return [Math.min(1 << 16, this.lowmemPages >>> 1), this.lowmemPages];
    }
    return [Math.max(defaultBase, this.lowmemPages), this.pages];
  }

  /**
   * vpn of kmap_local slot `index` on `cpu`. The fixmap index is FIX_KMAP_BEGIN + idx +
   * KM_MAX_IDX * cpu and __fix_to_virt() counts *down* from FIXADDR_TOP, so a higher slot
   * has a lower address: the page just past slot idx is slot idx - 1.
   */
  fixmapVpn(cpu: number, index: number): number {
    return this.vaLimit - 1 - (cpu * KM_MAX_IDX + index);
  }

  /** A printable x86-64 kernel virtual address for a vpn (layout of Documentation/x86/x86_64/mm.rst). */
  virtualAddress(vpn: number): bigint {
    if (vpn < this.pages) return 0xffff888000000000n + (BigInt(vpn) << 12n);
    if (this.isVmalloc(vpn)) return 0xffffc90000000000n + (BigInt(vpn - this.vmallocBase) << 12n);
    // Fixmap slots grow downwards from FIXADDR_TOP: the last vpn is the first slot.
    return 0xffffffffff5ff000n - (BigInt(this.vaLimit - 1 - vpn) << 12n);
  }
}
