/**
 * Small helpers shared by the built-in strategies. Everything here drives the machine
 * through its public primitives; nothing charges a cycle by itself.
 */
import type { Vmalloc } from "../core/kernel/vmalloc.ts";
import {
  KM_MAX_IDX,
  KMAP_LOCAL_MAX_NESTING,
  type Machine,
  type Thread,
} from "../core/machine/index.ts";
import { type KeyRights, pkrsWith, pksInitValue } from "../core/machine/pkrs.ts";
import { PAGE_KERNEL, PTE_PRESENT, PTE_WRITABLE, pteKey } from "../core/machine/pte.ts";
import type {
  FaultEvent,
  FaultResolution,
  KeyMode,
  Outcome,
  ProtectedRegion,
  StrategyHooks,
} from "./api.ts";

/**
 * The PKS key the built-ins protect their region with: PKS_KEY_PGMAP_PROTECTION = 1 in
 * Weiny v10's include/linux/pks-keys.h (kernel-mechanics.md 6.1).
 */
export const PGMAP_KEY = 1;

/** An `ok` outcome. */
export function ok(): Outcome;
export function ok<T>(value: T): Outcome<T>;
export function ok<T>(value?: T): Outcome<T | undefined> {
  return { kind: "ok", value };
}

/** An `unsupported` outcome with its reason (feeds the coverage table). */
export function unsupported(reason: string): { kind: "unsupported"; reason: string } {
  return { kind: "unsupported", reason };
}

/**
 * The refusal of a sleeping API in atomic context (the principle: where the kernel forbids
 * a call in a context, the strategy cannot serve that operation). `api` names the call and
 * `why` the kernel function that may sleep.
 */
export function sleepsInAtomic(api: string, why: string): { kind: "unsupported"; reason: string } {
  return unsupported(
    `atomic context: ${api} may sleep (${why}), so an atomic caller cannot use it`,
  );
}

/** Rights a protected key rests at: AD for access-disable (PMEM), WD for write-disable. */
export function restingRights(keyMode: KeyMode): KeyRights {
  return keyMode === "access-disable" ? "ad" : "wd";
}

/**
 * Direct-map PTE bits that protection removes without keys: PRESENT|RW for access-disable
 * (set_memory_np / __set_pages_np clear both), RW for write-disable (set_memory_ro).
 */
export function directMapProtectBits(keyMode: KeyMode): number {
  return keyMode === "access-disable" ? PTE_PRESENT | PTE_WRITABLE : PTE_WRITABLE;
}

/** True when `values[i] = values[0] + i`. */
export function consecutive(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0] + i) return false;
  return true;
}

/** Maximal runs `[first, count]` of consecutive page numbers in `pfns` (sorted, deduplicated). */
export function contiguousRuns(pfns: ArrayLike<number>): [number, number][] {
  const sorted = [...new Set(Array.from(pfns))].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const pfn of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === pfn) last[1]++;
    else runs.push([pfn, 1]);
  }
  return runs;
}

/** Direct-map virtual page numbers of `pfns`: page_address() is PAGE_OFFSET + pfn · 4096. */
/**
 * The pages of `pfns` that have a direct-map entry (all of them on x86-64; the low ones on a
 * HIGHMEM machine, where high pages have no linear mapping to protect or change).
 */
export function inDirectMap(machine: Machine, pfns: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < pfns.length; i++) if (machine.inDirectMap(pfns[i])) out.push(pfns[i]);
  return out;
}

/** How a HIGHMEM mapping was made, handed back at unmap. */
export interface HighmemMapState {
  readonly via: "kmap-local" | "kmap";
}

/**
 * Maps `pfns` the way 6.1 reaches high memory (include/linux/highmem-internal.h, mm/highmem.c):
 * `kmap-local` is kmap_local_page() per page (a low page is page_address() with no slot; a
 * high one takes the next per-CPU fixmap slot, stack-ordered, and writes its PTE);
 * `kmap` is kmap() per page (low: page_address(); high: kmap_high() on the pkmap pool).
 * A request the kernel could not serve (the 15-slot kmap_local nesting limit; a full pkmap
 * pool, where kmap() would sleep) is rolled back and refused.
 */
export function highmemMap(
  machine: Machine,
  thread: Thread,
  cpu: number,
  pfns: readonly number[],
  via: HighmemMapState["via"],
): Outcome<{ vpns: number[]; contiguous: boolean; state: HighmemMapState }> {
  const vpns: number[] = [];
  for (const pfn of pfns) {
    let vpn: number;
    if (machine.inDirectMap(pfn)) vpn = pfn;
    else if (via === "kmap-local") vpn = machine.kmapLocalPush(thread, pfn, PAGE_KERNEL);
    else vpn = machine.kmapHigh(cpu, pfn, PAGE_KERNEL);
    if (vpn < 0) {
      highmemUnmap(machine, thread, cpu, vpns, via);
      return unsupported(
        via === "kmap-local"
          ? `kmap_local nesting limit: ${thread.kmapDepth} of ${KMAP_LOCAL_MAX_NESTING} slots in use (KM_MAX_IDX = ${KM_MAX_IDX}, include/asm-generic/kmap_size.h)`
          : `pkmap pool full: all ${machine.pkmapPages} LAST_PKMAP entries in use, kmap() would sleep on pkmap_map_wait (mm/highmem.c map_new_virtual)`,
      );
    }
    vpns.push(vpn);
  }
  return ok({ vpns, contiguous: consecutive(vpns), state: { via } });
}

/** Undoes highmemMap: kunmap_local() in reverse (LIFO) order, or kunmap() of each page. */
export function highmemUnmap(
  machine: Machine,
  thread: Thread,
  cpu: number,
  vpns: readonly number[],
  via: HighmemMapState["via"],
  evict = false,
): void {
  for (let i = vpns.length - 1; i >= 0; i--) {
    const vpn = vpns[i];
    if (vpn < machine.pages) continue; // a low page: page_address(), nothing to undo
    if (via === "kmap-local") machine.kmapLocalPop(thread, vpn);
    else machine.kunmapHigh(cpu, vpn, evict);
  }
}

export function directMapVpns(pfns: readonly number[]): number[] {
  return pfns.slice();
}

/** Pages `[first, first + count)` as a list. */
export function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}

/**
 * Setup of a device region (PMEM, `region.device`): the protection goes on the direct-map
 * entries as memremap_pages() creates them (Machine.memremapPages: no split of RAM's
 * leaves, no flush). Returns false, doing nothing, for a RAM region, whose callers take
 * their CPA path instead.
 */
export function protectAtMemremap(
  machine: Machine,
  region: ProtectedRegion,
  change: { set?: number; clear?: number; key?: number },
): boolean {
  if (!region.device) return false;
  for (const [first, count] of contiguousRuns(region.pfns)) {
    machine.memremapPages(0, first, count, change);
  }
  return true;
}

/**
 * A batched CPA over a page array, in the CPA_PAGES_ARRAY style of set_pages_array_*()
 * (arch/x86/mm/pat/set_memory.c): one vm_unmap_aliases() (skipped without `vmalloc`, as
 * for the *_noalias variants), the attribute change on every page (splitting large
 * leaves as needed), then one cpa_flush() over the page list if anything changed: a full
 * flush on every CPU above the 33-page ceiling, otherwise one IPI with an INVLPG per page
 * on every CPU (core/machine/shootdown.ts flushTlbKernelPages).
 * Returns whether anything changed.
 */
export function setPagesArray(
  machine: Machine,
  vmalloc: Vmalloc | undefined,
  cpu: number,
  pfns: ArrayLike<number>,
  change: { set?: number; clear?: number; key?: number },
): boolean {
  vmalloc?.vmUnmapAliases(cpu);
  let changed = false;
  for (const [first, count] of contiguousRuns(pfns)) {
    const before = range(first, count).map((pfn) => machine.directPte(pfn));
    machine.changeDirectMap(cpu, first, count, change);
    if (before.some((pte, i) => machine.directPte(first + i) !== pte)) changed = true;
  }
  if (changed) machine.flushTlbKernelPages(cpu, Array.from(pfns));
  return changed;
}

/**
 * A set_memory_pks()-style key change on a batch of pages (Edgecombe's PKS page-table RFC,
 * kernel-mechanics.md 7): CPA puts `key` in their direct-map PTEs, then one flush, because
 * TLB entries carry the old key. No vmalloc alias handling: keys live on the direct map.
 */
export function setMemoryPks(
  machine: Machine,
  cpu: number,
  pfns: ArrayLike<number>,
  key: number,
): void {
  setPagesArray(machine, undefined, cpu, pfns, { key });
}

/**
 * The region hooks of every design that protects with a PKS key on the direct map (Weiny
 * v10's pmem series, kernel-mechanics.md 6): at setup, PKS on with the key at its resting
 * rights on every CPU and the region's direct-map PTEs tagged with {@link PGMAP_KEY}; pages
 * the workload gives to or takes back from protection are retagged by
 * {@link setMemoryPks}.
 */
export function pgmapKeyedRegion(
  machine: Machine,
  resting: KeyRights,
): Required<Pick<StrategyHooks, "onSetup" | "onPagesProtect" | "onPagesRelease">> {
  return {
    onSetup(region) {
      if (!machine.hasPks) {
        return unsupported(
          `no PKS on ${machine.arch}: protection keys for supervisor pages are an x86-64 feature (Weiny v10 restricts PKS to x86_64, as 6.1's X86_INTEL_MEMORY_PROTECTION_KEYS is 64-bit only, arch/x86/Kconfig), so there is no key to lift`,
        );
      }
      machine.enablePks(pksInitValue({ [PGMAP_KEY]: resting }));
      // PMEM: the key is set in the PTEs memremap_pages() creates (V10 "memremap_pages: Set
      // PKS pkey in PTEs if requested"); RAM: the key is put on the existing direct map.
      if (protectAtMemremap(machine, region, { key: PGMAP_KEY })) return ok();
      for (const [first, count] of contiguousRuns(region.pfns)) {
        machine.changeDirectMap(0, first, count, { key: PGMAP_KEY });
      }
      return ok();
    },
    onPagesProtect(cpu, pfns) {
      setMemoryPks(machine, cpu, pfns, PGMAP_KEY);
      return ok();
    },
    onPagesRelease(cpu, pfns) {
      setMemoryPks(machine, cpu, pfns, 0);
      return ok();
    },
  };
}

/**
 * One flush_tlb_kernel_range() over the direct-map span covering `pfns`, as a caller of
 * the *_noflush direct-map helpers does after a batch (kernel-mechanics.md 4.1, 4.4).
 */
export function flushDirectSpan(machine: Machine, cpu: number, pfns: ArrayLike<number>): void {
  if (pfns.length === 0) return;
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < pfns.length; i++) {
    low = Math.min(low, pfns[i]);
    high = Math.max(high, pfns[i]);
  }
  machine.flushTlbKernelRange(cpu, low, high - low + 1);
}

/**
 * Weiny v10's per-task `pgmap_prot_count` with pgmap_set_readwrite()/pgmap_set_noaccess()
 * ("memremap_pages: Define pgmap_set_{readwrite|noaccess}() calls", kernel-mechanics.md
 * 6.5): the first nested map lifts the key for the calling thread
 * (pks_set_readwrite → pks_update_protection: thread.pkrs, then WRMSR through the per-CPU
 * cache), the last unmap puts it back. Nothing else is touched: no PTE, no TLB.
 */
export class PgmapProtection {
  readonly #machine: Machine;
  readonly #key: number;
  readonly #resting: KeyRights;
  readonly #useCache: boolean;
  readonly #count = new Map<Thread, number>();
  /** Deepest nesting seen on any thread. */
  maxNesting = 0;

  constructor(machine: Machine, key: number, resting: KeyRights, useCache: boolean) {
    this.#machine = machine;
    this.#key = key;
    this.#resting = resting;
    this.#useCache = useCache;
  }

  /** Current nesting count of `thread`. */
  count(thread: Thread): number {
    return this.#count.get(thread) ?? 0;
  }

  /** `if (!current->pgmap_prot_count++) pks_set_readwrite(key)`. */
  readwrite(thread: Thread): void {
    const count = this.count(thread);
    this.#count.set(thread, count + 1);
    if (count + 1 > this.maxNesting) this.maxNesting = count + 1;
    if (count === 0) {
      this.#machine.setThreadPkrs(thread, pkrsWith(thread.pkrs, this.#key, "rw"), this.#useCache);
    }
  }

  /**
   * `if (!--current->pgmap_prot_count) pks_set_noaccess(key)` (or back to WD for a
   * write-disable region). Returns false, changing nothing, when the thread holds no lift
   * (the kernel's u32 would wrap).
   */
  restore(thread: Thread): boolean {
    const count = this.count(thread);
    if (count === 0) return false;
    this.#count.set(thread, count - 1);
    if (count === 1) {
      this.#machine.setThreadPkrs(
        thread,
        pkrsWith(thread.pkrs, this.#key, this.#resting),
        this.#useCache,
      );
    }
    return true;
  }
}

/** Fault policy of the PMEM key callback (V10 "memremap_pages: Add memremap.pks_fault_mode"). */
export type PksFaultMode = "relaxed" | "strict";

/**
 * The PMEM key's fault callback as reached through pks_handle_key_fault(): only PKS faults
 * on a page whose leaf PTE carries `key` are ours. `relaxed` (v10's default) does
 * WARN_ONCE and pks_update_exception(regs, key, PKEY_READ_WRITE), so the interrupted
 * thread resumes, and stays, read-write on the key; `strict` returns false and the kernel
 * oopses. Anything else is not a PKS fault for this key and oopses.
 */
export class PgmapFaultHandler {
  readonly #machine: Machine;
  readonly #key: number;
  readonly #mode: PksFaultMode;
  warnings = 0;
  grants = 0;
  oopses = 0;

  constructor(machine: Machine, key: number, mode: PksFaultMode) {
    this.#machine = machine;
    this.#key = key;
    this.#mode = mode;
  }

  handle(fault: FaultEvent): FaultResolution {
    if (fault.reason !== "pkey" || pteKey(this.#machine.pteOf(fault.vpn)) !== this.#key) {
      this.oopses++;
      return "oops";
    }
    if (this.#mode === "strict") {
      this.oopses++;
      return "oops";
    }
    if (this.warnings === 0) this.warnings = 1; // WARN_ONCE
    const saved = fault.thread.exceptionPkrs;
    const interrupted = saved.length > 0 ? saved[saved.length - 1] : fault.thread.pkrs;
    this.#machine.updateExceptionPkrs(fault.cpu, pkrsWith(interrupted, this.#key, "rw"));
    this.grants++;
    return "retry";
  }
}
