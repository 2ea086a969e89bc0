/**
 * The public machine: the top of the layer chain (state, locks, page-tables, access,
 * exposure, pks, shootdown, page-table-writes, kmap, sched), each layer a file of this
 * folder using only the layers below it. Callers import it from index.ts.
 */
import { KM_MAX_IDX } from "./config.ts";
import { Sched } from "./sched.ts";

/**
 * The shared machine: CPUs with clocks, IA32_PKRS and TLBs; one kernel page table with a
 * direct map, a vmalloc area and a per-CPU fixmap (kmap_local) area; and the primitives
 * that change them, each charging its cost to the ledger. It knows nothing about which
 * strategy drives it.
 *
 * Virtual addresses are page numbers (vpn) in one compact space:
 * direct map `[0, pages)`, vmalloc `[vmallocBase, +vmallocPages)`, fixmap after it.
 */
export class Machine extends Sched {
  /** One-paragraph description of the machine, for summaries. */
  summary(): Record<string, string | number> {
    return {
      cpus: this.cpus,
      memoryGiB: this.config.memoryGiB,
      physicalPages: this.pages,
      directMapLeaf: this.config.directMapLeaf,
      vmallocPages: this.config.vmallocPages,
      kmapSlotsPerCpu: KM_MAX_IDX,
      tlbEntriesPerCpu: this.tlb.describe(),
      cr0wp: this.config.cr0wp ? 1 : 0,
      profile: this.profile.name,
    };
  }
}
