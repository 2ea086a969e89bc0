/**
 * The PGMAP protection key of Weiny's v10 PKS/PMEM series (kernel-mechanics.md 6): the key
 * on the region's direct map, the per-task `pgmap_prot_count` that lifts it for the
 * calling thread, and the key's fault callback; `pgmapLift` puts them together for a
 * design that lifts the key per mapping (pks-kmap, kmap-local-range).
 *
 * @packageDocumentation
 */
import type { Machine, Thread } from "../../core/machine/index.ts";
import { type KeyRights, pkrsWith, pksInitValue } from "../../core/machine/pkrs.ts";
import { pteKey } from "../../core/machine/pte.ts";
import type { FaultEvent, FaultResolution, KeyMode, StrategyHooks } from "../api.ts";
import { protectAtMemremap, setMemoryPks } from "./direct-map.ts";
import { ok, unsupported } from "./outcomes.ts";
import { contiguousRuns } from "./pages.ts";

/**
 * The PKS key the built-ins protect their region with: PKS_KEY_PGMAP_PROTECTION = 1 in
 * Weiny v10's include/linux/pks-keys.h (kernel-mechanics.md 6.1).
 */
export const PGMAP_KEY = 1;

/** Rights a protected key rests at: AD for access-disable (PMEM), WD for write-disable. */
export function restingRights(keyMode: KeyMode): KeyRights {
  return keyMode === "access-disable" ? "ad" : "wd";
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

/**
 * A design that lifts {@link PGMAP_KEY} per mapping (Weiny v10's pgmap_set_readwrite()):
 * the region keyed at its resting rights ({@link pgmapKeyedRegion}), the per-task count
 * ({@link PgmapProtection}, `useCache`: the per-CPU pkrs_cache) and the key's fault
 * callback in `faultMode` as the `onFault` hook, and the callback's counters for `onFinish`.
 */
export function pgmapLift(
  machine: Machine,
  keyMode: KeyMode,
  faultMode: PksFaultMode,
  useCache: boolean,
) {
  const resting = restingRights(keyMode);
  const faults = new PgmapFaultHandler(machine, PGMAP_KEY, faultMode);
  const hooks = {
    ...pgmapKeyedRegion(machine, resting),
    onFault: (fault: FaultEvent) => faults.handle(fault),
  } satisfies StrategyHooks;
  return {
    protection: new PgmapProtection(machine, PGMAP_KEY, resting, useCache),
    hooks,
    /** The fault callback's counters, as `strategy.<name>` metrics. */
    faultCounters: () => ({
      relaxed_grants: faults.grants,
      warn_once: faults.warnings,
      fault_oopses: faults.oopses,
    }),
  };
}
