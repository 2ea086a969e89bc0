/**
 * The workload contract. A workload is what the kernel does with protected memory: a
 * protected region and, per thread, a deterministic stream of operations drawn from the
 * run's seeded PRNG.
 *
 * The contract lives in core so that the engine depends on it and not on the plugin folder;
 * plugins import it through workloads/api.ts, which adds `defineWorkload`.
 *
 * @packageDocumentation
 */
import type { Rng } from "../rng.ts";
import type { OptionSpecs, OptionValues, OptionValuesOf } from "./options.ts";
import type { Intent, KeyMode, OpContext, Scope } from "./strategy.ts";

/** Stray-access classes the coverage model injects (names are part of the result contract). @public */
export const STRAY_CLASSES = [
  "wild-direct",
  "window-same-cpu",
  "use-after-unmap",
  "overflow",
  "cross-cpu-stale",
  "stray-read",
] as const;
/** @public */
export type StrayClass = (typeof STRAY_CLASSES)[number];

/**
 * One operation of a thread's stream. `handle` names a mapping; handles are global to the
 * run so that one thread can hand a mapping to another.
 * @public
 */
export type Operation =
  /** Map `count` region pages starting at region page `page`. */
  | {
      readonly kind: "map";
      readonly handle: number;
      readonly page: number;
      readonly count: number;
      readonly intent: Intent;
      readonly scope: Scope;
      /**
       * The caller's context (default `sleepable`): `atomic` when the kernel path maps
       * under a spinlock or with preemption/page faults disabled.
       */
      readonly context?: OpContext;
      /**
       * The pages are allocated for this mapping and freed with it, as `vmalloc()` and
       * `vfree()` do (default false: the caller maps pages it already has, as `vmap()`,
       * `vm_map_ram()` and `kmap()` do). The engine charges the page allocator for a
       * mapping the strategy made, whichever strategy made it: the caller's work, not
       * the protection API's.
       */
      readonly allocate?: boolean;
    }
  /** Read or write `length` bytes at byte `offset` of a mapping (may cross page boundaries). */
  | {
      readonly kind: "access";
      readonly handle: number;
      readonly offset: number;
      readonly length: number;
      readonly write: boolean;
    }
  | { readonly kind: "unmap"; readonly handle: number }
  /**
   * Read `length` bytes at byte `offset` of region page `page` onwards through the direct
   * map (page_address()), with no map call: a 6.1 btrfs reader, or GUP-fast and the
   * software page walkers reading page-table pages (pte_offset_map(), pmd_offset() on
   * x86-64 are direct-map addresses). Counted in `compat.direct_reads`; one that faults
   * and is not fixed by the fault handler is a broken access.
   */
  | {
      readonly kind: "direct-read";
      readonly page: number;
      readonly offset: number;
      readonly length: number;
    }
  /** Unrelated work: `cycles` of compute and `touches` reads of unprotected kernel memory. */
  | { readonly kind: "compute"; readonly cycles: number; readonly touches: number }
  /** Give up the CPU to another runnable thread on it (a context switch). */
  | { readonly kind: "yield" }
  /** Block for `cycles`; other threads on the CPU run meanwhile. */
  | { readonly kind: "sleep"; readonly cycles: number }
  /** Ask to move to CPU `cpu` (the kernel refuses while migration is disabled). */
  | { readonly kind: "migrate"; readonly cpu: number }
  /** Wait until mapping `handle` exists (made by another thread), to use it. */
  | { readonly kind: "wait-for"; readonly handle: number }
  /** Region pages leave the direct map's users (allocated to user space, xpfo-churn). */
  | { readonly kind: "protect-pages"; readonly page: number; readonly count: number }
  /** Region pages come back (freed by user space). */
  | { readonly kind: "release-pages"; readonly page: number; readonly count: number }
  /** One workload-level operation is complete (the unit of `cost.cycles_per_op`). */
  | { readonly kind: "complete" }
  // Kernel entry and process lifetime (issue 18). User addresses are page numbers in the
  // thread's address space; page-table pages come from the protected region, so the
  // strategy's write windows guard every PTE write (pagetable-protect's protection).
  /**
   * Enter the kernel: `syscall` (entry/exit cost; PKRS untouched), `exception` or
   * `interrupt` (idtentry: the interrupted PKRS is saved and the default loaded through the
   * per-CPU pkrs_cache; restored at the matching `kernel-exit`).
   */
  | { readonly kind: "kernel-entry"; readonly via: "syscall" | "exception" | "interrupt" }
  /** Leave the kernel entered by the innermost open `kernel-entry`. */
  | { readonly kind: "kernel-exit" }
  /** User-mode time: `cycles` with no kernel code running and no kernel mapping live. */
  | { readonly kind: "user"; readonly cycles: number }
  /**
   * A user page fault at `page` of the thread's address space (exc_page_fault ->
   * handle_mm_fault): exception entry, a page-table page allocated and zeroed when the
   * table is missing, `ptes` PTEs (fault-around; default 1) installed from `page` in one
   * write window, `cycles` of other handler work, exception exit. A write to a present
   * read-only PTE is a write-protect fault: the PTE is made writable again.
   */
  | {
      readonly kind: "fault";
      readonly page: number;
      readonly write: boolean;
      readonly ptes?: number;
      readonly anon?: boolean;
      readonly cycles?: number;
      /** Address space of the faulting process when it is not the thread's own (a forked child running on this CPU). */
      readonly mm?: number;
    }
  /**
   * A user-mode access to `page` of the thread's address space: nothing when its PTE is
   * present and allows it (user translations are not modelled in the TLB), else the page
   * fault the CPU raises, handled as the fault operation with the same fields.
   */
  | {
      readonly kind: "touch";
      readonly page: number;
      readonly write: boolean;
      readonly ptes?: number;
      readonly anon?: boolean;
      readonly cycles?: number;
    }
  /** The thread runs in address space `mm` (a CLONE_VM thread of that process; created empty if new). */
  | { readonly kind: "use-mm"; readonly mm: number }
  /**
   * fork(): copies the thread's address space into a new one, `child` (dup_mmap ->
   * copy_page_range): per parent page-table page, a new table and one write window for
   * its copied PTEs (copy_pte_range), and one window write-protecting the parent's
   * private writable PTEs (COW); then flush_tlb_mm(parent). File PTEs are not copied.
   */
  | { readonly kind: "fork"; readonly child: number }
  /**
   * execve(): the thread's old address space is released (torn down when no other thread
   * uses it) and a new one, `mm`, is built: a pgd and a stack table with `ptes` PTEs.
   */
  | {
      readonly kind: "exec";
      readonly mm: number;
      readonly ptes?: number;
      /** The address space replaced when it is not the thread's own (a forked child's exec). */
      readonly from?: number;
    }
  /**
   * exit_mmap() of address space `mm` (default: the thread's own): one write window per
   * table clearing its PTEs (zap_pte_range), a full flush of the mm, the tables freed.
   * Another thread's (a forked child's) address space runs its exit on this CPU between
   * two context switches.
   */
  | { readonly kind: "exit"; readonly mm?: number }
  /**
   * Change `count` PTEs of the thread's address space from `page` and flush: `clear`
   * (zap_page_range for munmap/MADV_DONTNEED: one window per table, one
   * flush_tlb_mm_range for the range) or `wrprotect` (writeback's page_mkclean_one: per
   * dirty page a window and a one-page flush, ptep_clear_flush).
   */
  | {
      readonly kind: "zap";
      readonly page: number;
      readonly count: number;
      readonly mode: "clear" | "wrprotect";
    };

/** Shape of the protected region a workload asks for. @public */
export interface RegionSpec {
  /** Number of 4 KiB pages. */
  readonly pages: number;
  readonly keyMode: KeyMode;
  /** Physically contiguous (one range) or scattered pages. */
  readonly contiguous: boolean;
  /**
   * `device`: device memory (a PMEM namespace) that memremap_pages() maps into the direct
   * map when the driver probes it, with the protection applied from the start; default
   * `ram`: pages of the boot-time RAM direct map, protected by changing it.
   */
  readonly memory?: "ram" | "device";
}

/**
 * Inputs of a thread's generator. `V` is the type of the workload's parsed parameters
 * (from its parameter specs, see {@link WorkloadModule}).
 * @public
 */
export interface ThreadContext<V extends OptionValues = OptionValues> {
  /** This thread's index, 0-based. */
  readonly thread: number;
  /** Number of threads in the run. */
  readonly threads: number;
  /** Online CPUs. */
  readonly cpus: number;
  /** The thread's own PRNG stream, derived from the run seed and the thread index. */
  readonly rng: Rng;
  /**
   * The workload parameters, resolved before the run (every declared parameter present,
   * of its kind, within its choices and bounds), typed by the specs.
   */
  readonly params: V;
  /**
   * Whether the strategy under test maps multi-page ranges in one call (StrategyModule
   * `mapsRanges`): lets a workload write its callers the way each API allows.
   */
  readonly strategyMapsRanges: boolean;
  /**
   * Whether the strategy leaves a write-disable region readable at its direct-map address
   * (StrategyModule `directMapReads`): lets a reader skip the map call where that is legal.
   */
  readonly strategyDirectMapReads: boolean;
  readonly region: RegionSpec;
}

/**
 * A workload plugin: metadata as data plus generators. `P` is the type of its declared
 * parameter specs; `region`, `threads` and `generate` receive the parameters parsed to the
 * types they declare ({@link OptionValuesOf}): resolved by the registry
 * (workloads/registry.ts `resolveWorkloadParams`) before any of them runs. Without `P`
 * (a workload of any parameters, as the engine holds it), they are plain
 * {@link OptionValues}; a typed module is one of those (its hooks are methods, so their
 * parameters are compared both ways).
 * @public
 */
export interface WorkloadModule<P extends OptionSpecs = OptionSpecs> {
  /** Unique, kebab-case. */
  readonly name: string;
  readonly version: string;
  readonly summary: string;
  /** Grounding: the discussion, patch or code the shape comes from. */
  readonly citation: string;
  /** Parameters with defaults, units and descriptions. */
  readonly params: P;
  /** The protected region for the given parameters. */
  region(params: OptionValuesOf<P>): RegionSpec;
  /** Number of threads (thread i starts on CPU i mod cpus). */
  threads(params: OptionValuesOf<P>, cpus: number): number;
  /** The operation stream of one thread. */
  generate(context: ThreadContext<OptionValuesOf<P>>): Iterable<Operation>;
}
