/**
 * A user address space (struct mm_struct), as far as the model needs one: which CPUs may
 * cache its translations (mm_cpumask), its page-table pages (each one page of the
 * workload's protected region, so that a protecting strategy guards them), and its PTEs.
 *
 * User translations are not held in the modelled TLB arrays (which cache kernel
 * addresses): a user TLB flush charges its INVLPGs or CR3 write on each CPU it reaches but
 * does not evict kernel entries, as flush_tlb_func() leaves global (kernel) entries alone.
 */

/** PTE bits of a user page in the model. */
export const UPTE_PRESENT = 1;
export const UPTE_WRITE = 2;
export const UPTE_DIRTY = 4;
/** Anonymous (copied at fork, write-protected for COW) rather than file-backed. */
export const UPTE_ANON = 8;

/** PTEs per page-table page (x86-64, 8-byte entries). */
export const PTRS_PER_PTE = 512;
export const PTE_BYTES = 8;

export class Mm {
  readonly id: number;
  /** mm_cpumask: 1 for each CPU that has this mm loaded (or lazily kept). */
  readonly cpumask: Uint8Array;
  /** Page-table page index (user page >> 9) → region page holding it. */
  readonly tables = new Map<number, number>();
  /** User page → UPTE_* bits, for present PTEs. */
  readonly ptes = new Map<number, number>();
  /** The top-level page (pgd) of the address space, a region page; -1 before it exists. */
  pgd = -1;
  /** Threads using it (CLONE_VM threads share one). */
  users = 0;

  constructor(id: number, cpus: number) {
    this.id = id;
    this.cpumask = new Uint8Array(cpus);
  }

  /** CPUs in mm_cpumask. */
  cpusInMask(): number {
    let count = 0;
    for (let cpu = 0; cpu < this.cpumask.length; cpu++) count += this.cpumask[cpu];
    return count;
  }
}
