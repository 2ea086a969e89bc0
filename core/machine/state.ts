/**
 * The machine's bottom layer: the configuration resolved, the virtual address layout, the
 * ledger (and with it every CPU's clock), the TLB arrays, each CPU's PKS registers and the
 * threads. Nothing here charges a cost; every layer above reads it. The layers, bottom up:
 * state, locks, page-tables, access, exposure, pks, shootdown, page-table-writes, kmap,
 * sched, and machine.ts, the public `Machine` (docs/architecture.md says why this order).
 */
import { Ledger } from "../ledger.ts";
import type { CostProfile } from "../profile.ts";
import {
  DEFAULT_NR_CPUS,
  KM_MAX_IDX,
  type MachineConfig,
  resolveMachineConfig,
  validateMachineConfig,
} from "./config.ts";
import { type Arch, HIGHMEM_DEFAULTS } from "./params.ts";
import { Tlb } from "./tlb.ts";

/**
 * A kernel thread (task). Holds the software state the kernel saves and restores on
 * context switch: thread.pkrs (Weiny v10 x86_pkrs_load) and the kmap_local stack
 * (struct kmap_ctrl), plus preemption/migration-disable counts.
 */
export class Thread {
  readonly id: number;
  /** CPU the thread runs (or last ran) on. */
  cpu: number;
  /** thread_struct.pkrs: the PKRS value this thread runs with. */
  pkrs = 0;
  /** kmap_ctrl.idx: number of live kmap_local slots. */
  kmapDepth = 0;
  /** kmap_ctrl.pteval: pfn and PTE bits per slot. */
  readonly kmapPfn = new Int32Array(KM_MAX_IDX);
  readonly kmapPte = new Uint32Array(KM_MAX_IDX);
  migrateDisable = 0;
  preemptDisable = 0;
  /** PKRS saved in the auxiliary pt_regs of each nested exception (Weiny v10). */
  readonly exceptionPkrs: number[] = [];
  /** The user address space (Mm id) the thread runs in; -1 for a kernel thread. */
  mm = -1;

  constructor(id: number, cpu: number) {
    this.id = id;
    this.cpu = cpu;
  }
}

/**
 * Layer 1 of the machine, what every other layer stands on. Virtual addresses are page
 * numbers (vpn) in one compact space: direct map `[0, pages)`, vmalloc `[vmallocBase,
 * +vmallocPages)`, the pkmap pool (x86-32-highmem only), then the per-CPU fixmap
 * (kmap_local) slots up to `vaLimit`.
 */
export class MachineState {
  /** The configuration with every optional field resolved (TLB geometry from the profile). */
  readonly config: Required<MachineConfig>;
  readonly profile: CostProfile;
  readonly ledger: Ledger;
  readonly tlb: Tlb;
  /** Physical pages (4 KiB). */
  readonly pages: number;
  readonly vmallocBase: number;
  /** The machine's architecture (MACHINE_PARAMS `arch`). */
  readonly arch: Arch;
  /** Whether the machine has PKS (x86-64 only: Weiny v10 restricts PKS to x86_64, kernel-mechanics.md 5). */
  readonly hasPks: boolean;
  /** Pages of low memory: pfns below it are in the direct map (all of memory on x86-64). */
  readonly lowmemPages: number;
  /** First vpn of the pkmap pool (kmap(), x86-32-highmem) and its size (LAST_PKMAP; 0 on x86-64). */
  readonly pkmapBase: number;
  readonly pkmapPages: number;
  readonly fixmapBase: number;
  readonly vaLimit: number;

  // CPU state.
  readonly pkrs: Uint32Array;
  /** Weiny v10's per-CPU pkrs_cache: last value written to the MSR by software. */
  readonly pkrsCache: Uint32Array;
  /** CR4.PKS per CPU. */
  readonly cr4Pks: Uint8Array;
  readonly current: Thread[];
  readonly threads: Thread[] = [];
  /** PKS_INIT_VALUE, once PKS is set up. */
  pksInitValue = 0;
  /**
   * Whether the kernel's PKRS writes go through the per-CPU pkrs_cache (Weiny v10). Applies
   * to every path that writes PKRS: updates, context switch and exception entry/exit.
   */
  usePkrsCache = true;

  /** Ids of the machine's own cost parameters (profile names), resolved once. */
  protected readonly param: Record<string, number>;

  constructor(config: MachineConfig, profile: CostProfile) {
    validateMachineConfig(config);
    this.config = resolveMachineConfig(config, profile);
    this.profile = profile;
    this.ledger = new Ledger(config.cpus, profile);
    const p = (name: string) => this.ledger.parameterId(name);
    this.param = Object.fromEntries(
      [
        "data_access_cycles",
        "page_walk_level_cycles",
        "wrmsr_pkrs_cycles",
        "pkrs_cache_check_cycles",
        "pte_write_cycles",
        "invlpg_cycles",
        "flush_all_cycles",
        "ipi_send_base_cycles",
        "ipi_per_target_cycles",
        "ipi_handler_cycles",
        "page_alloc_cycles",
        "context_switch_cycles",
        "migration_cycles",
        "fault_entry_exit_cycles",
        "lock_acquire_cycles",
        "lock_transfer_cycles",
        "kmap_local_slot_cycles",
        "cr3_flush_cycles",
        "syscall_entry_exit_cycles",
        "irq_entry_exit_cycles",
        "invlpgb_cycles",
        "tlbsync_cycles",
        "stlb_hit_cycles",
      ].map((name) => [name, p(name)]),
    );
    this.tlb = new Tlb(config.cpus, {
      entries4k: this.config.l1dEntries4k,
      entries2m: this.config.l1dEntries2m,
      entries1g: this.config.l1dEntries1g,
      ways: this.config.l1dWays,
      stlbEntries: this.config.stlbEntries,
      stlbEntries1g: this.config.stlbEntries1g,
      stlbWays: this.config.stlbWays,
    });
    this.pages = config.memoryGiB << 18;
    this.vmallocBase = Math.ceil(this.pages / (1 << 18)) * (1 << 18);
    this.arch = config.arch ?? "x86-64";
    const highmem = this.arch === "x86-32-highmem";
    this.hasPks = !highmem;
    this.lowmemPages = highmem ? (config.lowmemMiB ?? HIGHMEM_DEFAULTS.lowmemMiB) << 8 : this.pages;
    this.pkmapBase = this.vmallocBase + config.vmallocPages;
    this.pkmapPages = highmem ? (config.pkmapEntries ?? HIGHMEM_DEFAULTS.pkmapEntries) : 0;
    this.fixmapBase = this.pkmapBase + this.pkmapPages;
    this.vaLimit = this.fixmapBase + config.cpus * KM_MAX_IDX;

    this.pkrs = new Uint32Array(config.cpus);
    this.pkrsCache = new Uint32Array(config.cpus);
    this.cr4Pks = new Uint8Array(config.cpus);
    this.current = [];
    for (let cpu = 0; cpu < config.cpus; cpu++) {
      // Each CPU starts running its idle/boot thread.
      this.current.push(this.createThread(cpu));
    }
  }

  /** CONFIG_NR_CPUS of the modelled kernel (at least the online count). */
  get nrCpus(): number {
    return Math.max(this.config.nrCpus ?? DEFAULT_NR_CPUS, this.cpus);
  }

  get cpus(): number {
    return this.config.cpus;
  }

  /** Simulated time of `cpu`, in cycles. */
  now(cpu: number): number {
    return this.ledger.clock[cpu];
  }

  /** Id of a profile (or registered) cost parameter, for charging through `ledger.charge`. */
  parameterId(name: string): number {
    return this.ledger.parameterId(name);
  }

  createThread(cpu: number): Thread {
    const thread = new Thread(this.threads.length, cpu);
    thread.pkrs = this.pksInitValue;
    this.threads.push(thread);
    return thread;
  }
}
