/**
 * The permission check: one data access or instruction fetch in hardware order (TLB lookup
 * or page walk, present, R/W under CR0.WP, NX, then PKS from this CPU's PKRS), the
 * extension point for checks a plugin adds, and the side-effect-free probes observers use.
 * `access` is the inner loop of every run: it reads the page tables and the TLB directly,
 * with no indirection or closure per access (bench/run.ts, section `access`, measures it).
 */
import { Cat, Ev } from "../ledger.ts";
import { PageTables } from "./page-tables.ts";
import { PKR_AD, PKR_WD } from "./pkrs.ts";
import {
  PTE_NX,
  PTE_PKEY_MASK,
  PTE_PKEY_SHIFT,
  PTE_PRESENT,
  PTE_USER,
  PTE_WRITABLE,
  SIZE_4K,
} from "./pte.ts";

/** Kinds of memory access the access check distinguishes. */
export const READ = 0;
export const WRITE = 1;
export const FETCH = 2;
export type AccessKind = typeof READ | typeof WRITE | typeof FETCH;

/** Outcome of an access: no fault, or the #PF reason. */
export const OK = 0;
export const FAULT_NOT_PRESENT = 1;
export const FAULT_WRITE_PROTECT = 2;
export const FAULT_PKEY = 3;
export const FAULT_NX = 4;
/** An access check registered through the extension point (Machine.addAccessCheck) refused the access. */
export const FAULT_CHECK = 5;
export const FAULT_NAMES = ["ok", "not-present", "write-protect", "pkey", "nx", "check"] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/**
 * A check the machine runs on every data access after its own permission checks pass: the
 * extension point through which a plugin adds hardware the model does not have (capability
 * bounds and permissions, a tag per pointer). Given the accessing CPU, the virtual page, the
 * access kind and the physical page the translation found, it returns true to let the
 * access proceed or false to fault it (FAULT_CHECK, reason "check"). It must not change
 * machine state; it may charge its cost through the strategy context's `charge`.
 */
export type AccessCheck = (
  cpu: number,
  vpn: number,
  kind: AccessKind,
  pfn: number,
  /** True when an observer (the invariant checker) only asks: charge nothing. */
  probing: boolean,
) => boolean;

/** Layer 4 of the machine: the permission check (reads the TLB and the page tables only). */
export class Access extends PageTables {
  /** Extension-point access checks (addAccessCheck), in registration order. */
  readonly #accessChecks: AccessCheck[] = [];
  /** pfn of the page the last successful access reached. */
  lastPfn = -1;
  /** Size class and walk depth of the last translation (for tests and observers). */
  lastWalkLevels = 0;

  /**
   * One data access or instruction fetch by `cpu` at `vpn`. Order: TLB lookup (or a page
   * walk whose cost depends on the depth walked), present bit, then for writes the R/W bit
   * (enforced on supervisor writes because CR0.WP=1), NX for fetches, then PKS: for a
   * supervisor *data* access, AD in this CPU's PKRS for the page's key blocks any access and
   * WD blocks writes (only with CR0.WP=1). PKS never applies to instruction fetch.
   * Returns OK (with `lastPfn` set) or the #PF reason. Not-present entries are never cached.
   */
  access(cpu: number, vpn: number, kind: AccessKind): number {
    const ledger = this.ledger;
    ledger.count(Ev.accesses);
    ledger.charge(cpu, Cat.access, this.param.data_access_cycles);
    let pte: number;
    let pfn: number;
    const tlb = this.tlb;
    // Only one size class can hold the translation: the direct-map leaf's (a split flushes
    // every TLB) or 4 KiB.
    const size = vpn < this.pages ? this.directLeafSize(vpn) : SIZE_4K;
    if (tlb.lookupIn(cpu, vpn, size) >= 0) {
      pte = tlb.hitPte;
      pfn = tlb.hitPfn;
      if (tlb.hitLevel === 2) {
        // L1 DTLB miss served by the STLB.
        ledger.count(Ev.stlb_hits);
        ledger.charge(cpu, Cat.stlb_hit, this.param.stlb_hit_cycles);
      }
    } else {
      pte = this.pteOf(vpn);
      pfn = this.walkPfn;
      const levels =
        vpn >= this.pages &&
        this.isVmalloc(vpn) &&
        !this.vmallocPtePage[(vpn - this.vmallocBase) >>> 9]
          ? 3
          : this.walkLevels[size];
      this.lastWalkLevels = levels;
      ledger.count(Ev.tlb_misses);
      ledger.charge(cpu, Cat.tlb_walk, this.param.page_walk_level_cycles, levels);
      if ((pte & PTE_PRESENT) === 0) return FAULT_NOT_PRESENT;
      tlb.insert(cpu, size, vpn, pte, pfn);
    }
    let fault = this.#permission(cpu, pte, kind);
    if (
      fault === OK &&
      this.#accessChecks.length > 0 &&
      !this.#checksPass(cpu, vpn, kind, pfn, false)
    )
      fault = FAULT_CHECK;
    if (fault === OK) this.lastPfn = pfn;
    return fault;
  }

  #checksPass(cpu: number, vpn: number, kind: AccessKind, pfn: number, probing: boolean): boolean {
    for (const check of this.#accessChecks) if (!check(cpu, vpn, kind, pfn, probing)) return false;
    return true;
  }

  /**
   * The machine model's extension point for hardware it does not have: registers a check
   * run on every data access and instruction fetch whose translation and permissions
   * (present, R/W, NX, PKS) passed, after them. A check that returns false faults the
   * access with FAULT_CHECK ("check"), which reaches the strategy's onFault like any #PF.
   * Strategies register checks through StrategyContext.addAccessCheck; examples/capability.ts
   * uses it for capability bounds and permissions.
   */
  addAccessCheck(check: AccessCheck): void {
    this.#accessChecks.push(check);
  }

  /**
   * The permission checks on a present translation, in the hardware's order: a fetch
   * checks NX only (PKS never applies to instruction fetch); a write needs R/W when CR0.WP
   * is set; then PKS, on supervisor data accesses only, from this CPU's PKRS (AD blocks
   * reads and writes, WD blocks writes only with CR0.WP).
   */
  #permission(cpu: number, pte: number, kind: AccessKind): number {
    if (kind === FETCH) return pte & PTE_NX ? FAULT_NX : OK;
    if (kind === WRITE && (pte & PTE_WRITABLE) === 0 && this.config.cr0wp)
      return FAULT_WRITE_PROTECT;
    if (this.cr4Pks[cpu] && (pte & PTE_USER) === 0) {
      const rights = (this.pkrs[cpu] >>> (((pte & PTE_PKEY_MASK) >>> PTE_PKEY_SHIFT) * 2)) & 3;
      if (rights & PKR_AD) return FAULT_PKEY;
      if (kind === WRITE && rights & PKR_WD && this.config.cr0wp) return FAULT_PKEY;
    }
    return OK;
  }

  /**
   * What `access` would return, without touching TLB state, the ledger or clocks: for
   * observers such as the invariant checker.
   */
  probeAccess(cpu: number, vpn: number, kind: AccessKind): number {
    let pte: number;
    let pfn: number;
    if (this.tlb.probe(cpu, vpn) >= 0) {
      pte = this.tlb.hitPte;
      pfn = this.tlb.hitPfn;
    } else {
      pte = this.pteOf(vpn);
      pfn = this.walkPfn;
      if ((pte & PTE_PRESENT) === 0) return FAULT_NOT_PRESENT;
    }
    const fault = this.#permission(cpu, pte, kind);
    if (
      fault === OK &&
      this.#accessChecks.length > 0 &&
      !this.#checksPass(cpu, vpn, kind, pfn, true)
    )
      return FAULT_CHECK;
    return fault;
  }

  /**
   * Whether `cpu`'s TLB holds an entry for `vpn` that no longer matches the page table
   * (cleared, made read-only or pointing elsewhere): a stale translation. No side effects.
   */
  staleTranslation(cpu: number, vpn: number): boolean {
    if (this.tlb.probe(cpu, vpn) < 0) return false;
    const cachedPte = this.tlb.hitPte;
    const cachedPfn = this.tlb.hitPfn;
    const pte = this.pteOf(vpn);
    if ((pte & PTE_PRESENT) === 0) return true;
    return this.walkPfn !== cachedPfn || (cachedPte & PTE_WRITABLE & ~pte) !== 0;
  }
}
