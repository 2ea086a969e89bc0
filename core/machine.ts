import { UserInputError } from "./errors.ts";
import { Cat, Ev, Ledger } from "./ledger.ts";
import { Mm } from "./machine/mm.ts";
import {
  type Arch,
  type BroadcastMode,
  type FlushMode,
  HIGHMEM_DEFAULTS,
  MACHINE_PARAMS,
  MAX_CPUS,
  profileTlbGeometry,
  type RegionMemory,
} from "./machine/params.ts";
import { PKR_AD, PKR_WD, PKS_KEYS } from "./machine/pkrs.ts";
import {
  PAGE_KERNEL,
  PTE_NX,
  PTE_PKEY_MASK,
  PTE_PKEY_SHIFT,
  PTE_PRESENT,
  PTE_USER,
  PTE_WRITABLE,
  SIZE_1G,
  SIZE_2M,
  SIZE_4K,
  SIZE_SHIFT,
  WALK_LEVELS,
} from "./machine/pte.ts";
import { Tlb } from "./machine/tlb.ts";
import type { CostParameter, CostProfile } from "./profile.ts";

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

/** Leaf size used for the direct map (Linux x86-64 uses 1 GiB leaves when the CPU has gbpages). */
export type DirectMapLeaf = "1g" | "2m" | "4k";

/** KM_MAX_IDX: kmap_local slots per CPU (include/asm-generic/kmap_size.h). */
export const KM_MAX_IDX = 16;
/** Usable nested kmap_local mappings per task: kmap_local_idx_push BUGs at idx >= 16 after incrementing, so 15. */
export const KMAP_LOCAL_MAX_NESTING = KM_MAX_IDX - 1;

/** Static machine shape. Costs come from the cost profile, not from here. */
export interface MachineConfig {
  /** Online logical CPUs. */
  readonly cpus: number;
  /** Physical memory in GiB (direct-mapped in full). */
  readonly memoryGiB: number;
  /** Leaf size of the direct map at boot. */
  readonly directMapLeaf: DirectMapLeaf;
  /** Modelled pages of vmalloc virtual address space. */
  readonly vmallocPages: number;
  /** CR0.WP; Linux pins it to 1 (native_write_cr0). */
  readonly cr0wp: boolean;
  /** Order of local flush and remote IPIs in a multi-CPU flush (absent: concurrent). */
  readonly flush?: FlushMode;
  /** IPIs or AMD INVLPGB broadcast for remote invalidation (absent: ipi). */
  readonly broadcast?: BroadcastMode;
  /** With broadcast=invlpgb, least CPUs in an mm's cpumask for a broadcast user flush (absent: 3). */
  readonly invlpgbMinCpus?: number;
  /** TLB geometry; each absent field comes from the cost profile (TLB_GEOMETRY_PARAMS). */
  readonly l1dEntries4k?: number;
  readonly l1dEntries2m?: number;
  readonly l1dEntries1g?: number;
  readonly l1dWays?: number;
  readonly stlbEntries?: number;
  readonly stlbEntries1g?: number;
  readonly stlbWays?: number;
  /**
   * CONFIG_NR_CPUS, a build constant (not the online count): it sizes the per-CPU vmap
   * blocks (VMAP_BBMAP_BITS in mm/vmalloc.c). Default 64, NR_CPUS_DEFAULT for an SMP x86-64
   * build without MAXSMP (arch/x86/Kconfig; x86_64_defconfig does not override it). A
   * kernel cannot bring more CPUs online than NR_CPUS, so a machine with more online CPUs
   * is treated as built for that many. Optional, default DEFAULT_NR_CPUS (64); set with
   * `--set machine.nrCpus=N`.
   */
  readonly nrCpus?: number;
  /** Architecture (absent: x86-64). See MACHINE_PARAMS `arch`. */
  readonly arch?: Arch;
  /** x86-32-highmem: size of low memory, the part in the direct map (absent: 896). */
  readonly lowmemMiB?: number;
  /** x86-32-highmem: LAST_PKMAP, entries of kmap()'s pool (absent: 512, PAE). */
  readonly pkmapEntries?: number;
  /** x86-32-highmem: whether the protected region is in high or low memory (absent: highmem). */
  readonly regionMemory?: RegionMemory;
}

/**
 * A check the machine runs on every data access after its own permission checks pass: the
 * extension point through which a plugin adds hardware the model does not have (capability
 * bounds and permissions, a tag per pointer). Given the accessing CPU, the virtual page, the
 * access kind and the physical page the translation found, it returns true to let the
 * access proceed or false to fault it (FAULT_CHECK, reason "check"). It must not change
 * machine state; it may charge the ledger through Machine.chargeCheck.
 */
export type AccessCheck = (
  cpu: number,
  vpn: number,
  kind: AccessKind,
  pfn: number,
  /** True when an observer (the invariant checker) only asks: charge nothing. */
  probing: boolean,
) => boolean;

/** A machine config with every optional field filled in (TLB geometry from `profile`). */
export function resolveMachineConfig(
  config: MachineConfig,
  profile: CostProfile,
): Required<MachineConfig> {
  const geometry = profileTlbGeometry(profile);
  const given = config as unknown as Record<string, unknown>;
  const fallback: Record<string, unknown> = {
    flush: "concurrent",
    broadcast: "ipi",
    invlpgbMinCpus: 3,
    nrCpus: DEFAULT_NR_CPUS,
    ...geometry,
  };
  // Fields in MACHINE_PARAMS order, so that echoed configurations read the same way.
  // Parameters of other architectures are left out of an x86-64 machine's configuration,
  // so that x86-64 results echo exactly the fields they always had.
  const arch = (given.arch as Arch | undefined) ?? "x86-64";
  const out: Record<string, unknown> = {};
  for (const spec of MACHINE_PARAMS) {
    if (spec.offDefaultArch && arch === "x86-64") continue;
    out[spec.name] = given[spec.name] ?? fallback[spec.name] ?? spec.fallback;
  }
  // PAE paging has no 1 GiB leaves (they exist only in 4-level paging): a 32-bit direct
  // map uses 2 MiB leaves at most.
  if (arch !== "x86-64" && out.directMapLeaf === "1g") out.directMapLeaf = "2m";
  return out as unknown as Required<MachineConfig>;
}

export const DEFAULT_MACHINE: MachineConfig = {
  cpus: 16,
  memoryGiB: 16,
  directMapLeaf: "1g",
  vmallocPages: 1 << 20,
  cr0wp: true,
};

export { MAX_CPUS };

/** CONFIG_NR_CPUS when the machine config does not say: x86-64 SMP NR_CPUS_DEFAULT (arch/x86/Kconfig). */
export const DEFAULT_NR_CPUS = 64;

/** Per-page machine state is held in 1 GiB chunks (2^18 pages) allocated on first use. */
const CHUNK_SHIFT = 18;
const CHUNK_PAGES = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_PAGES - 1;
const VMALLOC_CHUNK_SHIFT = 16;
const VMALLOC_CHUNK_PAGES = 1 << VMALLOC_CHUNK_SHIFT;
const VMALLOC_CHUNK_MASK = VMALLOC_CHUNK_PAGES - 1;

/**
 * Checks a machine configuration, naming the offending field: every field against its
 * spec in MACHINE_PARAMS (range, choices, kind), then the rules between fields.
 */
export function validateMachineConfig(config: MachineConfig): void {
  const given = config as unknown as Record<string, unknown>;
  for (const spec of MACHINE_PARAMS) {
    const value = given[spec.name];
    // cpus, memoryGiB, directMapLeaf, vmallocPages and cr0wp are always there.
    if (value === undefined) continue;
    if (spec.kind === "integer") {
      const low = spec.min ?? 0;
      const high = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (typeof value !== "number" || !Number.isInteger(value) || value < low || value > high) {
        throw new UserInputError(
          `machine.${spec.name} must be an integer from ${low} to ${high}; got ${String(value)}.`,
        );
      }
    } else if (spec.kind === "choice") {
      // directMapLeaf is held in lower case ("1g"), written in upper case ("1G").
      const choices = spec.choices ?? [];
      const known = choices.some((choice) => choice.toLowerCase() === String(value).toLowerCase());
      if (typeof value !== "string" || !known) {
        throw new UserInputError(
          `machine.${spec.name} must be one of ${choices.join(", ")}; got ${String(value)}.`,
        );
      }
    } else if (typeof value !== "boolean") {
      throw new UserInputError(`machine.${spec.name} must be true or false; got ${String(value)}.`);
    }
  }
  if ((config.arch ?? "x86-64") === "x86-32-highmem") {
    // PAE addresses 36 bits of physical memory: 64 GiB.
    if (config.memoryGiB > 64) {
      throw new UserInputError(
        `machine.memoryGiB must be at most 64 on x86-32-highmem (PAE's 36-bit physical addresses); got ${config.memoryGiB}.`,
      );
    }
    const lowmem = config.lowmemMiB ?? HIGHMEM_DEFAULTS.lowmemMiB;
    if (lowmem >= config.memoryGiB * 1024) {
      throw new UserInputError(
        `machine.lowmemMiB must be below machine.memoryGiB; got ${lowmem} MiB of ${config.memoryGiB} GiB.`,
      );
    }
  }
}

/** PAE page-walk depth by leaf size (PDPT, PD, PT): 3 levels for 4 KiB, 2 for 2 MiB. */
const WALK_LEVELS_PAE = [3, 2, 1] as const;

/**
 * Software costs of the HIGHMEM pkmap pool, which the x86-64 cost profiles do not carry:
 * registered in the ledger (owner `machine:x86-32-highmem`) only on a HIGHMEM machine, so
 * x86-64 results list exactly the profile's parameters. No measurement exists in the
 * reference set: both are unverified placeholders, swept by sensitivity like any other.
 */
export const HIGHMEM_COSTS: Readonly<
  Record<"pkmap_lookup_cycles" | "pkmap_scan_entry_cycles", CostParameter>
> = {
  pkmap_lookup_cycles: {
    value: 20,
    unit: "cycles/call",
    confidence: "unverified",
    source:
      "page_address() of a high page in kmap_high()/kunmap_high(): hash of the struct page into page_address_htable, its bucket spinlock and a short list walk (mm/highmem.c page_address, set_page_address); placeholder, no figure in the reference set.",
    range: [5, 100],
  },
  pkmap_scan_entry_cycles: {
    value: 1,
    unit: "cycles/entry",
    confidence: "unverified",
    source:
      "One pkmap_count[] entry examined by map_new_virtual()'s search or flush_all_zero_pkmaps()'s sweep (a load and a compare, mm/highmem.c); placeholder.",
    range: [0.5, 4],
  },
};

/** Above this many pending stale windows, a full flush looks them up from the TLB side. */
const STALE_PROBE_LIMIT = 64;

/**
 * Pending stale windows: vpn → time its PTE stopped mapping a watched page writably, in the
 * order they opened (a Map's order), with the opening order of each vpn and the number of
 * direct-map windows per 2 MiB and 1 GiB (only direct-map pages are cached in large TLB
 * entries), so that a flush can find its windows from the TLB side.
 */
class StaleWindows {
  /** vpns below this are direct-map pages. */
  readonly #directPages: number;
  readonly #since = new Map<number, number>();
  readonly #order = new Map<number, number>();
  readonly #per2m = new Map<number, number>();
  readonly #per1g = new Map<number, number>();
  #opened = 0;

  constructor(directPages: number) {
    this.#directPages = directPages;
  }

  get size(): number {
    return this.#since.size;
  }

  has(vpn: number): boolean {
    return this.#since.has(vpn);
  }

  get(vpn: number): number | undefined {
    return this.#since.get(vpn);
  }

  /** Opening order of `vpn`'s window, or -1 when it has none. */
  order(vpn: number): number {
    return this.#order.get(vpn) ?? -1;
  }

  set(vpn: number, since: number): void {
    if (!this.#since.has(vpn)) {
      this.#order.set(vpn, this.#opened++);
      if (vpn < this.#directPages) {
        bump(this.#per2m, vpn >>> SIZE_SHIFT[SIZE_2M], 1);
        bump(this.#per1g, vpn >>> SIZE_SHIFT[SIZE_1G], 1);
      }
    }
    this.#since.set(vpn, since);
  }

  delete(vpn: number): void {
    if (!this.#since.delete(vpn)) return;
    this.#order.delete(vpn);
    if (vpn < this.#directPages) {
      bump(this.#per2m, vpn >>> SIZE_SHIFT[SIZE_2M], -1);
      bump(this.#per1g, vpn >>> SIZE_SHIFT[SIZE_1G], -1);
    }
  }

  clear(): void {
    this.#since.clear();
    this.#order.clear();
    this.#per2m.clear();
    this.#per1g.clear();
  }

  /** Whether a direct-map window lies in the `size`-class page `key` (vpn >>> SIZE_SHIFT[size]). */
  covers(size: number, key: number): boolean {
    return ((size === SIZE_2M ? this.#per2m : this.#per1g).get(key) ?? 0) > 0;
  }

  keys(): IterableIterator<number> {
    return this.#since.keys();
  }

  entries(): IterableIterator<[number, number]> {
    return this.#since.entries();
  }
}

function bump(counts: Map<number, number>, key: number, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}

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
 * The shared machine: CPUs with clocks, IA32_PKRS and TLBs; one kernel page table with a
 * direct map, a vmalloc area and a per-CPU fixmap (kmap_local) area; and the primitives
 * that change them, each charging its cost to the ledger. It knows nothing about which
 * strategy drives it.
 *
 * Virtual addresses are page numbers (vpn) in one compact space:
 * direct map `[0, pages)`, vmalloc `[vmallocBase, +vmallocPages)`, fixmap after it.
 */
export class Machine {
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

  /** cpu_tlbstate.loaded_mm per CPU: the Mm id whose translations it may cache, -1 for init_mm. */
  readonly loadedMm: Int32Array;
  /** cpu_tlbstate_shared.is_lazy per CPU: running a kernel thread with loaded_mm kept. */
  readonly isLazy: Uint8Array;
  /** User address spaces by id. */
  readonly mms = new Map<number, Mm>();

  // Page tables.
  /**
   * Direct-map PTE of each page, stored XOR PAGE_KERNEL so that zero means "boot state", in
   * 1 GiB chunks allocated on first change: untouched memory costs nothing to set up.
   */
  readonly #directPte: (Uint32Array | undefined)[];
  /** 1: this 1 GiB region of the direct map has been split into 2 MiB leaves. */
  readonly #split1g: Uint8Array;
  /** 1: this 2 MiB region has been split into 4 KiB leaves. */
  readonly #split2m: Uint8Array;
  /** vmalloc PTEs as (pte, pfn) pairs in chunks of 2^16 pages allocated on first use. */
  readonly #vmalloc: (Int32Array | undefined)[];
  /** 1: the PTE page for this 2 MiB of vmalloc space exists. */
  readonly #vmallocPtePage: Uint8Array;
  readonly #fixmapPte: Uint32Array;
  readonly #fixmapPfn: Int32Array;
  readonly #walkLevels: readonly number[];
  /** pkmap_count[]: 0 free, 1 mapped but unused (flushed at the next wrap), n + 1 with n users. */
  readonly #pkmapCount: Int32Array;
  readonly #pkmapPfn: Int32Array;
  readonly #pkmapPte: Uint32Array;
  /** page_address() of high pages: pfn -> pkmap entry. */
  readonly #pkmapOf = new Map<number, number>();
  /** last_pkmap_nr of mm/highmem.c. */
  #lastPkmap = 0;
  #pkmapLookup = -1;
  #pkmapScan = -1;
  /** kmap() calls that found the page already in the pool (no PTE write). */
  pkmapHits = 0;
  /** kmap() calls that installed a new pkmap entry. */
  pkmapInstalls = 0;
  /** flush_all_zero_pkmaps() calls that cleared entries and flushed every CPU. */
  pkmapWrapFlushes = 0;
  /** Extension-point access checks (addAccessCheck), in registration order. */
  readonly #accessChecks: AccessCheck[] = [];

  // Locks with queueing in simulated time.
  readonly #lockNames: string[] = [];
  #lockFreeAt = new Float64Array(16);
  #lockHolder = new Int32Array(16).fill(-1);

  // Exposure accounting (coverage): pages being watched and page-cycles of exposure per CPU.
  /** 1: the page is protected (watched for exposure); 1 GiB chunks, allocated on first use. */
  readonly #watched: (Uint8Array | undefined)[];
  /** Watched pages per key whose direct-map PTE is present and writable. */
  readonly #watchedWritable = new Float64Array(PKS_KEYS);
  readonly exposure: Float64Array;
  readonly #exposureSince: Float64Array;
  /** vpn → time its PTE stopped mapping a watched page writably, until every CPU has flushed it. */
  readonly #pendingStale: StaleWindows;
  /** Scratch space for the keys of one CPU's TLB entries of one size class. */
  #tlbKeys = new Int32Array(0);

  /** pfn of the page the last successful access reached. */
  lastPfn = -1;
  /** Size class and walk depth of the last translation (for tests and observers). */
  lastWalkLevels = 0;

  // Parameter ids, resolved once.
  readonly #p: Record<string, number>;

  constructor(config: MachineConfig, profile: CostProfile) {
    validateMachineConfig(config);
    this.config = resolveMachineConfig(config, profile);
    this.profile = profile;
    this.ledger = new Ledger(config.cpus, profile);
    const p = (name: string) => this.ledger.parameterId(name);
    this.#p = Object.fromEntries(
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
    this.#tlbKeys = new Int32Array(
      Math.max(
        this.tlb.totalCapacity(SIZE_4K),
        this.tlb.totalCapacity(SIZE_2M),
        this.tlb.totalCapacity(SIZE_1G),
      ),
    );
    this.pages = config.memoryGiB << 18;
    this.#pendingStale = new StaleWindows(this.pages);
    this.vmallocBase = Math.ceil(this.pages / (1 << 18)) * (1 << 18);
    this.arch = config.arch ?? "x86-64";
    const highmem = this.arch === "x86-32-highmem";
    this.hasPks = !highmem;
    this.lowmemPages = highmem ? (config.lowmemMiB ?? HIGHMEM_DEFAULTS.lowmemMiB) << 8 : this.pages;
    this.#walkLevels = highmem ? WALK_LEVELS_PAE : WALK_LEVELS;
    this.pkmapBase = this.vmallocBase + config.vmallocPages;
    this.pkmapPages = highmem ? (config.pkmapEntries ?? HIGHMEM_DEFAULTS.pkmapEntries) : 0;
    this.#pkmapCount = new Int32Array(this.pkmapPages);
    this.#pkmapPfn = new Int32Array(this.pkmapPages).fill(-1);
    this.#pkmapPte = new Uint32Array(this.pkmapPages);
    if (highmem) this.#registerHighmemCosts();
    this.fixmapBase = this.pkmapBase + this.pkmapPages;
    this.vaLimit = this.fixmapBase + config.cpus * KM_MAX_IDX;

    this.pkrs = new Uint32Array(config.cpus);
    this.pkrsCache = new Uint32Array(config.cpus);
    this.cr4Pks = new Uint8Array(config.cpus);
    this.loadedMm = new Int32Array(config.cpus).fill(-1);
    this.isLazy = new Uint8Array(config.cpus);
    this.current = [];
    for (let cpu = 0; cpu < config.cpus; cpu++) {
      // Each CPU starts running its idle/boot thread.
      this.current.push(this.createThread(cpu));
    }

    this.#directPte = new Array(Math.ceil(this.pages / CHUNK_PAGES)).fill(undefined);
    const regions1g = Math.ceil(this.pages / (1 << 18));
    const regions2m = Math.ceil(this.pages / (1 << 9));
    this.#split1g = new Uint8Array(regions1g);
    this.#split2m = new Uint8Array(regions2m);
    if (this.config.directMapLeaf !== "1g") this.#split1g.fill(1);
    if (this.config.directMapLeaf === "4k") this.#split2m.fill(1);
    // A large leaf never maps past the end of low memory: the one that would straddle it is 4K.
    if (this.lowmemPages < this.pages) {
      if (this.lowmemPages % (1 << 18) !== 0) this.#split1g[this.lowmemPages >>> 18] = 1;
      if (this.lowmemPages % (1 << 9) !== 0) this.#split2m[this.lowmemPages >>> 9] = 1;
    }
    this.#vmalloc = new Array(Math.ceil(config.vmallocPages / VMALLOC_CHUNK_PAGES)).fill(undefined);
    this.#vmallocPtePage = new Uint8Array(Math.ceil(config.vmallocPages / 512));
    this.#fixmapPte = new Uint32Array(config.cpus * KM_MAX_IDX);
    this.#fixmapPfn = new Int32Array(config.cpus * KM_MAX_IDX);

    this.#watched = new Array(Math.ceil(this.pages / CHUNK_PAGES)).fill(undefined);
    this.exposure = new Float64Array(config.cpus);
    this.#exposureSince = new Float64Array(config.cpus);
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

  // ---------------------------------------------------------------------------------------
  // Workqueues: schedule_work() on a bound workqueue (system_wq) queues the item on the
  // local CPU's kworker, which runs it later as a thread of its own (kernel/workqueue.c
  // queue_work() with WORK_CPU_UNBOUND -> the local CPU's pool). Queuing an item that is
  // already pending does nothing (test_and_set_bit(WORK_STRUCT_PENDING_BIT)). The engine
  // runs the queued items at that CPU's next operation boundary, after switching to the
  // kworker, so the work's cycles are the kworker's, not the caller's operation's.

  readonly #work: Map<string, () => void>[] = [];
  readonly #kworkers: (Thread | undefined)[] = [];

  /** schedule_work(): queue `work` (named, so a pending item is not queued twice) on `cpu`. */
  queueWork(cpu: number, name: string, work: () => void): boolean {
    let queue = this.#work[cpu];
    if (!queue) {
      queue = new Map();
      this.#work[cpu] = queue;
    }
    if (queue.has(name)) return false;
    queue.set(name, work);
    return true;
  }

  /** Whether `cpu`'s kworker has work pending. */
  hasQueuedWork(cpu: number): boolean {
    const queue = this.#work[cpu];
    return queue !== undefined && queue.size > 0;
  }

  /** The kworker thread of `cpu` (created on first use, pinned to that CPU). */
  kworker(cpu: number): Thread {
    let thread = this.#kworkers[cpu];
    if (!thread) {
      thread = this.createThread(cpu);
      thread.migrateDisable = 1; // a per-CPU kworker never migrates
      this.#kworkers[cpu] = thread;
    }
    return thread;
  }

  /** Runs every item pending on `cpu` (in queuing order); returns how many ran. */
  runQueuedWork(cpu: number): number {
    const queue = this.#work[cpu];
    if (!queue || queue.size === 0) return 0;
    let ran = 0;
    while (queue.size > 0) {
      const [name, work] = queue.entries().next().value as [string, () => void];
      queue.delete(name);
      work();
      ran++;
    }
    return ran;
  }

  createThread(cpu: number): Thread {
    const thread = new Thread(this.threads.length, cpu);
    thread.pkrs = this.pksInitValue;
    this.threads.push(thread);
    return thread;
  }

  // ---------------------------------------------------------------------------------------
  // Page-table lookups (no cost; the hardware walk charges in `access`).

  /** Leaf size class of the direct-map entry covering `pfn`. */
  directLeafSize(pfn: number): number {
    if (!this.#split1g[pfn >>> 18]) return SIZE_1G;
    if (!this.#split2m[pfn >>> 9]) return SIZE_2M;
    return SIZE_4K;
  }

  /** Current direct-map PTE bits of `pfn`. */
  directPte(pfn: number): number {
    if (pfn >= this.lowmemPages) return 0; // high memory: not in the direct map
    const chunk = this.#directPte[pfn >>> CHUNK_SHIFT];
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
      const chunk = this.#directPte[vpn >>> CHUNK_SHIFT];
      return chunk === undefined ? PAGE_KERNEL : chunk[vpn & CHUNK_MASK] ^ PAGE_KERNEL;
    }
    if (vpn >= this.vmallocBase && vpn < this.pkmapBase) {
      const index = vpn - this.vmallocBase;
      const chunk = this.#vmalloc[index >>> VMALLOC_CHUNK_SHIFT];
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
      this.walkPfn = this.#fixmapPfn[index];
      return this.#fixmapPte[index];
    }
    if (vpn >= this.pkmapBase && vpn < this.fixmapBase) {
      const index = vpn - this.pkmapBase;
      this.walkPfn = this.#pkmapPfn[index];
      return this.#pkmapPte[index];
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

  // ---------------------------------------------------------------------------------------
  // The access check, in hardware order.

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
    ledger.charge(cpu, Cat.access, this.#p.data_access_cycles);
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
        ledger.charge(cpu, Cat.stlb_hit, this.#p.stlb_hit_cycles);
      }
    } else {
      pte = this.pteOf(vpn);
      pfn = this.walkPfn;
      const levels =
        vpn >= this.pages &&
        this.isVmalloc(vpn) &&
        !this.#vmallocPtePage[(vpn - this.vmallocBase) >>> 9]
          ? 3
          : this.#walkLevels[size];
      this.lastWalkLevels = levels;
      ledger.count(Ev.tlb_misses);
      ledger.charge(cpu, Cat.tlb_walk, this.#p.page_walk_level_cycles, levels);
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

  /**
   * Invariant violations the machine saw (only collected when `checkInvariants` is on):
   * e.g. a CPU whose PKRS differs from its outgoing thread's saved value at a switch, which
   * means something wrote the MSR behind the thread's back.
   */
  checkInvariants = false;
  readonly violations: string[] = [];

  // ---------------------------------------------------------------------------------------
  // PKS: IA32_PKRS and the kernel's software around it (Weiny v10 PKS core).

  /**
   * pks_setup() on every CPU: CR4.PKS on, PKRS = PKS_INIT_VALUE, and INIT_THREAD's
   * thread.pkrs for every thread. Boot-time work, not charged.
   */
  enablePks(initValue: number): void {
    if (!this.hasPks) throw new Error(`enablePks: a ${this.arch} machine has no PKS`);
    this.pksInitValue = initValue >>> 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      this.#accrueExposure(cpu);
      this.cr4Pks[cpu] = 1;
      this.pkrs[cpu] = this.pksInitValue;
      this.pkrsCache[cpu] = this.pksInitValue;
    }
    for (const thread of this.threads) thread.pkrs = this.pksInitValue;
  }

  /**
   * WRMSR(IA32_PKRS). With `useCache`, skips the write when the per-CPU pkrs_cache already
   * holds `value` (pks_write_pkrs). No TLB flush: the next access uses the new rights.
   */
  writePkrs(cpu: number, value: number, useCache = this.usePkrsCache): void {
    const ledger = this.ledger;
    value >>>= 0;
    if (useCache) {
      ledger.charge(cpu, Cat.pkrs_write, this.#p.pkrs_cache_check_cycles);
      if (this.pkrsCache[cpu] === value) {
        ledger.count(Ev.pkrs_writes_skipped);
        return;
      }
    }
    this.#accrueExposure(cpu);
    this.pkrs[cpu] = value;
    this.pkrsCache[cpu] = value;
    ledger.count(Ev.pkrs_writes);
    ledger.charge(cpu, Cat.pkrs_write, this.#p.wrmsr_pkrs_cycles);
  }

  /**
   * pks_update_protection(): sets the thread's saved PKRS and, when the thread is running,
   * writes the MSR through the cache. Only affects that thread on that CPU.
   */
  setThreadPkrs(thread: Thread, value: number, useCache = this.usePkrsCache): void {
    thread.pkrs = value >>> 0;
    if (this.current[thread.cpu] === thread && this.cr4Pks[thread.cpu]) {
      this.writePkrs(thread.cpu, thread.pkrs, useCache);
    }
  }

  /**
   * Exception entry on `cpu`: #PF entry cost; with PKS on, the interrupted thread's PKRS is
   * saved in the auxiliary pt_regs and PKS_INIT_VALUE is loaded, so handlers run protected.
   */
  exceptionEnter(cpu: number, useCache = this.usePkrsCache): void {
    this.ledger.count(Ev.faults);
    this.ledger.charge(cpu, Cat.fault, this.#p.fault_entry_exit_cycles);
    const thread = this.current[cpu];
    thread.exceptionPkrs.push(thread.pkrs);
    if (this.cr4Pks[cpu]) this.writePkrs(cpu, this.pksInitValue, useCache);
  }

  /**
   * Interrupt entry (irqentry_enter) on `cpu` by a workload's kernel-entry operation: the
   * entry/exit cost, then as for an exception the interrupted PKRS is saved and
   * PKS_INIT_VALUE loaded through pkrs_cache (skipped when it already holds it).
   */
  interruptEnter(cpu: number, useCache = this.usePkrsCache): void {
    this.ledger.count(Ev.interrupts);
    this.ledger.charge(cpu, Cat.entry, this.#p.irq_entry_exit_cycles);
    const thread = this.current[cpu];
    thread.exceptionPkrs.push(thread.pkrs);
    if (this.cr4Pks[cpu]) this.writePkrs(cpu, this.pksInitValue, useCache);
  }

  /**
   * System-call entry and exit (entry_SYSCALL_64 ... sysretq), charged once for the pair.
   * v10 saves PKRS only on the idtentry (exception/interrupt) paths: a system call runs
   * with the task's PKRS, which is already the thread's own value.
   */
  syscallEnter(cpu: number): void {
    this.ledger.count(Ev.syscalls);
    this.ledger.charge(cpu, Cat.entry, this.#p.syscall_entry_exit_cycles);
  }

  /** User-mode time on `cpu`: no kernel code runs, so nothing but the cycles is charged. */
  userTime(cpu: number, cycles: number): void {
    if (cycles > 0) this.ledger.chargeDerived(cpu, Cat.user, cycles);
  }

  /** pks_update_exception(): changes the PKRS the interrupted thread resumes with. */
  updateExceptionPkrs(cpu: number, value: number): void {
    const saved = this.current[cpu].exceptionPkrs;
    if (saved.length === 0) throw new Error("updateExceptionPkrs outside an exception");
    saved[saved.length - 1] = value >>> 0;
  }

  /** Exception exit: restores the (possibly updated) saved PKRS of the interrupted thread. */
  exceptionExit(cpu: number, useCache = this.usePkrsCache): void {
    const thread = this.current[cpu];
    const saved = thread.exceptionPkrs.pop();
    if (saved === undefined) throw new Error("exceptionExit without exceptionEnter");
    thread.pkrs = saved;
    if (this.cr4Pks[cpu]) this.writePkrs(cpu, saved, useCache);
  }

  // ---------------------------------------------------------------------------------------
  // Page-table writes.

  #ensurePtePage(cpu: number, vpn: number): void {
    const table = (vpn - this.vmallocBase) >>> 9;
    if (this.#vmallocPtePage[table]) return;
    this.#vmallocPtePage[table] = 1;
    this.ledger.count(Ev.pt_allocs);
    this.ledger.charge(cpu, Cat.pt_alloc, this.#p.page_alloc_cycles);
  }

  /**
   * set_pte_at() on a vmalloc or fixmap vpn: no TLB flush (the entry was not present, and
   * x86 never caches not-present entries). Allocates the PTE page on first use in vmalloc.
   */
  setKernelPte(cpu: number, vpn: number, pfn: number, pte: number): void {
    if (vpn < this.pages) throw new Error("setKernelPte: use changeDirectMap for the direct map");
    if (vpn >= this.vaLimit)
      throw new RangeError(`vpn ${vpn} is outside the modelled address space`);
    if (pfn < 0 || pfn >= this.pages) throw new RangeError(`pfn ${pfn} is outside physical memory`);
    const old = this.pteOf(vpn);
    if (old & PTE_PRESENT) this.#noteStale(cpu, vpn, this.walkPfn);
    if (this.isVmalloc(vpn)) {
      this.#ensurePtePage(cpu, vpn);
      const index = vpn - this.vmallocBase;
      let chunk = this.#vmalloc[index >>> VMALLOC_CHUNK_SHIFT];
      if (chunk === undefined) {
        chunk = new Int32Array(VMALLOC_CHUNK_PAGES * 2);
        this.#vmalloc[index >>> VMALLOC_CHUNK_SHIFT] = chunk;
      }
      const slot = (index & VMALLOC_CHUNK_MASK) << 1;
      chunk[slot] = pte;
      chunk[slot + 1] = pfn;
    } else if (vpn >= this.fixmapBase) {
      const index = vpn - this.fixmapBase;
      this.#fixmapPte[index] = pte;
      this.#fixmapPfn[index] = pfn;
    } else if (vpn >= this.pkmapBase) {
      const index = vpn - this.pkmapBase;
      this.#pkmapPte[index] = pte;
      this.#pkmapPfn[index] = pfn;
    } else {
      throw new RangeError(`vpn ${vpn} is not a kernel mapping the model holds`);
    }
    this.ledger.count(Ev.pte_writes);
    this.ledger.charge(cpu, Cat.pte_write, this.#p.pte_write_cycles);
  }

  /** pte_clear() on a vmalloc or fixmap vpn. No flush: TLBs may keep the old entry. */
  clearKernelPte(cpu: number, vpn: number): void {
    const old = this.pteOf(vpn);
    if (old & PTE_PRESENT) this.#noteStale(cpu, vpn, this.walkPfn);
    if (this.isVmalloc(vpn)) {
      const index = vpn - this.vmallocBase;
      const chunk = this.#vmalloc[index >>> VMALLOC_CHUNK_SHIFT];
      if (chunk !== undefined) chunk[(index & VMALLOC_CHUNK_MASK) << 1] = 0;
    } else if (vpn >= this.fixmapBase && vpn < this.vaLimit) {
      this.#fixmapPte[vpn - this.fixmapBase] = 0;
    } else if (vpn >= this.pkmapBase && vpn < this.fixmapBase) {
      this.#pkmapPte[vpn - this.pkmapBase] = 0;
    } else {
      throw new Error("clearKernelPte: not a vmalloc or fixmap address");
    }
    this.ledger.count(Ev.pte_writes);
    this.ledger.charge(cpu, Cat.pte_write, this.#p.pte_write_cycles);
  }

  /**
   * Splits the direct-map large leaf covering `pfn` one level (1G→2M or 2M→4K), as
   * __split_large_page does: allocate a page-table page, install it, then flush_tlb_all()
   * (IPI to every CPU) under pgd_lock. 6.1 never merges it back.
   */
  splitDirectMap(cpu: number, pfn: number): void {
    const size = this.directLeafSize(pfn);
    if (size === SIZE_4K) return;
    const lock = this.lockId("pgd_lock");
    // split_large_page() allocates the new table page (alloc_pages(GFP_KERNEL, 0)) before
    // __split_large_page() takes pgd_lock (arch/x86/mm/pat/set_memory.c).
    this.ledger.count(Ev.pt_allocs);
    this.ledger.charge(cpu, Cat.pt_alloc, this.#p.page_alloc_cycles);
    this.acquire(cpu, lock);
    if (size === SIZE_1G) {
      this.#split1g[pfn >>> 18] = 1;
      this.ledger.count(Ev.direct_map_splits_1g);
    } else {
      this.#split2m[pfn >>> 9] = 1;
      this.ledger.count(Ev.direct_map_splits_2m);
    }
    this.ledger.count(Ev.direct_map_splits);
    this.ledger.count(Ev.pte_writes);
    this.ledger.charge(cpu, Cat.pte_write, this.#p.pte_write_cycles);
    this.flushTlbAll(cpu);
    this.release(cpu, lock);
  }

  /**
   * Changes direct-map attributes of `count` pages from `pfn` (the CPA core,
   * __change_page_attr): a large leaf is kept only when the change covers all of it,
   * otherwise it is split first (with its flush). Does not flush for the attribute change
   * itself: callers flush (set_memory_*) or not (set_direct_map_*_noflush).
   * `set` and `clear` are PTE bits; `key` replaces the protection key when given.
   */
  changeDirectMap(
    cpu: number,
    pfn: number,
    count: number,
    change: { set?: number; clear?: number; key?: number },
  ): void {
    if (pfn < 0 || count < 1 || pfn + count > this.pages) {
      throw new RangeError(`direct-map change [${pfn}, ${pfn + count}) is outside physical memory`);
    }
    // High pages have no linear mapping to change: set_memory.c's page-array and
    // __set_pages_p/np paths skip PageHighMem pages (arch/x86/mm/pat/set_memory.c).
    if (pfn >= this.lowmemPages) return;
    if (pfn + count > this.lowmemPages) count = this.lowmemPages - pfn;
    const set = change.set ?? 0;
    let clear = change.clear ?? 0;
    let setBits = set;
    if (change.key !== undefined) {
      if (!Number.isInteger(change.key) || change.key < 0 || change.key > 15) {
        throw new RangeError(`protection key ${change.key} is outside 0..15`);
      }
      clear |= PTE_PKEY_MASK;
      setBits |= change.key << PTE_PKEY_SHIFT;
    }
    let page = pfn;
    const end = pfn + count;
    while (page < end) {
      const size = this.directLeafSize(page);
      const span = 1 << SIZE_SHIFT[size];
      const leafStart = page - (page % span);
      const current = this.directPte(page);
      const wanted = (current & ~clear) | setBits;
      if (wanted === current) {
        // Same protection: nothing to change and no reason to split.
        page = Math.min(leafStart + span, end);
        continue;
      }
      if (size !== SIZE_4K && (leafStart < pfn || leafStart + span > end)) {
        this.splitDirectMap(cpu, page);
        continue; // re-examine at the smaller size
      }
      // One leaf write covers the whole leaf.
      for (let p = leafStart; p < leafStart + span; p++) this.#setDirect(cpu, p, wanted);
      this.ledger.count(Ev.pte_writes);
      this.ledger.charge(cpu, Cat.pte_write, this.#p.pte_write_cycles);
      page = leafStart + span;
    }
  }

  /**
   * memremap_pages() → arch_add_memory() → init_memory_mapping(start, end, pgprot) for a
   * device range (PMEM): its direct-map entries are created with `change` applied (a pkey
   * with Weiny v10's "memremap_pages: Set PKS pkey in PTEs if requested", read-only, or not
   * present), as large as the range's alignment allows (split_mem_range(): 2M leaves, 4K at
   * unaligned ends, 1G only for a whole GiB). Nothing existing is split and nothing is
   * flushed: the entries are new. The model keeps device pages inside its physical page
   * array, so the rest of the covering GiB is mapped with 2M leaves from then on.
   * One PTE write is charged per leaf created.
   */
  memremapPages(
    cpu: number,
    pfn: number,
    count: number,
    change: { set?: number; clear?: number; key?: number },
  ): void {
    if (pfn < 0 || count < 1 || pfn + count > this.pages) {
      throw new RangeError(`device range [${pfn}, ${pfn + count}) is outside physical memory`);
    }
    // No linear mapping is created above low memory (HIGHMEM): the range is reached by kmap.
    if (pfn >= this.lowmemPages) return;
    if (pfn + count > this.lowmemPages) count = this.lowmemPages - pfn;
    const end = pfn + count;
    let clear = change.clear ?? 0;
    let setBits = change.set ?? 0;
    if (change.key !== undefined) {
      clear |= PTE_PKEY_MASK;
      setBits |= change.key << PTE_PKEY_SHIFT;
    }
    for (let g = pfn >>> 18; g <= (end - 1) >>> 18; g++) {
      const start1g = g << 18;
      if (start1g < pfn || start1g + (1 << 18) > end) this.#split1g[g] = 1;
    }
    for (let m = pfn >>> 9; m <= (end - 1) >>> 9; m++) {
      const start2m = m << 9;
      if (this.#split1g[start2m >>> 18] && (start2m < pfn || start2m + 512 > end)) {
        this.#split2m[m] = 1;
      }
    }
    let page = pfn;
    while (page < end) {
      const span = 1 << SIZE_SHIFT[this.directLeafSize(page)];
      const leafEnd = Math.min(page - (page % span) + span, end);
      for (let p = page; p < leafEnd; p++) {
        this.#setDirect(cpu, p, (this.directPte(p) & ~clear) | setBits);
      }
      this.ledger.count(Ev.pte_writes);
      this.ledger.charge(cpu, Cat.pte_write, this.#p.pte_write_cycles);
      page = leafEnd;
    }
  }

  #setDirect(cpu: number, pfn: number, pte: number): void {
    const old = this.directPte(pfn);
    if (old === pte) return;
    if (this.isWatched(pfn)) {
      const oldWritable = (old & (PTE_PRESENT | PTE_WRITABLE)) === (PTE_PRESENT | PTE_WRITABLE);
      const newWritable = (pte & (PTE_PRESENT | PTE_WRITABLE)) === (PTE_PRESENT | PTE_WRITABLE);
      const oldKey = (old & PTE_PKEY_MASK) >>> PTE_PKEY_SHIFT;
      const newKey = (pte & PTE_PKEY_MASK) >>> PTE_PKEY_SHIFT;
      if (oldWritable !== newWritable || oldKey !== newKey) {
        this.#accrueAllExposure();
        if (oldWritable) this.#watchedWritable[oldKey]--;
        if (newWritable) this.#watchedWritable[newKey]++;
        if (oldWritable && !newWritable) this.#noteStale(cpu, pfn, pfn);
      }
    }
    let chunk = this.#directPte[pfn >>> CHUNK_SHIFT];
    if (chunk === undefined) {
      chunk = new Uint32Array(CHUNK_PAGES);
      this.#directPte[pfn >>> CHUNK_SHIFT] = chunk;
    }
    chunk[pfn & CHUNK_MASK] = pte ^ PAGE_KERNEL;
  }

  // ---------------------------------------------------------------------------------------
  // TLB maintenance.

  /** INVLPG on the local CPU. */
  invlpg(cpu: number, vpn: number): void {
    if (this.#pendingStale.size > 0) {
      this.#closeStaleAt(cpu, vpn);
      // Fixmap slots are per CPU: once the owning CPU has flushed, nothing else holds them.
      if (vpn >= this.fixmapBase) this.#pendingStale.delete(vpn);
    }
    this.tlb.invalidate(cpu, vpn);
    this.ledger.count(Ev.invlpg);
    this.ledger.charge(cpu, Cat.invlpg, this.#p.invlpg_cycles);
  }

  /** __flush_tlb_all() on the local CPU (INVPCID or CR4.PGE toggle: global entries too). */
  flushLocalAll(cpu: number): void {
    this.#closeAllStale(cpu);
    this.tlb.flushAll(cpu);
    this.ledger.count(Ev.full_flushes);
    this.ledger.charge(cpu, Cat.tlb_flush, this.#p.flush_all_cycles);
  }

  /**
   * on_each_cpu(fn, wait=1) from `cpu`: runs `work` locally and sends an IPI to every other
   * online CPU, which takes the interrupt (charged to that CPU) and runs `work`; the
   * initiator pays the send cost and spins until the last acknowledgement.
   */
  onEachCpu(cpu: number, work: (target: number) => void): void {
    const others: number[] = [];
    for (let target = 0; target < this.cpus; target++) if (target !== cpu) others.push(target);
    this.#ipiMany(cpu, others, work, true);
  }

  /**
   * smp_call_function_many_cond() with wait=1: IPIs to `targets` (never `cpu`), each target
   * taking the interrupt and running `work`, and `work` on `cpu` too when `local`.
   * machine.flush=concurrent (6.1): the IPIs go out first and the local work overlaps the
   * remote handlers; serial (before 5.3): the local work is done first, then the IPIs are
   * sent and waited for. On each target the interrupt entry saves the interrupted PKRS,
   * loads the default for the handler and restores it on exit, through pkrs_cache (Weiny
   * v10 irqentry PKRS handling).
   */
  #ipiMany(
    cpu: number,
    targets: readonly number[],
    work: (target: number) => void,
    local: boolean,
  ) {
    const ledger = this.ledger;
    const serial = this.config.flush === "serial";
    if (local && serial) work(cpu);
    // The base is the fixed cost of the cross-CPU call itself, charged even when no CPU is
    // left to interrupt (ipi_send_base_cycles is fitted to P19 on one CPU that way).
    ledger.charge(cpu, Cat.ipi_send, this.#p.ipi_send_base_cycles);
    ledger.charge(cpu, Cat.ipi_send, this.#p.ipi_per_target_cycles, targets.length);
    const sentAt = this.now(cpu);
    let lastAck = sentAt;
    for (const target of targets) {
      ledger.count(Ev.ipis);
      // The target is interrupted at the send time (or when it gets there); the handler's
      // cycles are stolen from whatever it was doing.
      const start = this.now(target);
      ledger.charge(target, Cat.ipi_handle, this.#p.ipi_handler_cycles);
      const saved = this.#irqPkrsEnter(target);
      work(target);
      this.#irqPkrsExit(target, saved);
      // The interrupt is taken when it is sent (smp_call_function_many_cond waits for the
      // handlers, csd_lock_wait): the acknowledgement comes when the handler is done, not
      // when the target's own simulated clock catches up with the sender's (operation-
      // granular interleaving can leave a target's clock ahead of the send time).
      const handled = this.now(target) - start;
      const ack = sentAt + handled;
      if (ack > lastAck) lastAck = ack;
    }
    if (local && !serial) work(cpu);
    const wait = lastAck - this.now(cpu);
    if (wait > 0) ledger.chargeDerived(cpu, Cat.ipi_wait, wait);
  }

  /** Interrupt entry with PKS: save PKRS, load PKS_INIT_VALUE through the cache. Returns the saved value. */
  #irqPkrsEnter(cpu: number): number {
    const saved = this.pkrs[cpu];
    if (this.cr4Pks[cpu]) this.writePkrs(cpu, this.pksInitValue);
    return saved;
  }

  /** Interrupt exit with PKS: restore the interrupted PKRS through the cache. */
  #irqPkrsExit(cpu: number, saved: number): void {
    if (this.cr4Pks[cpu]) this.writePkrs(cpu, saved);
  }

  /** Whether remote invalidation is by INVLPGB broadcast. */
  get broadcastInvalidation(): boolean {
    return this.config.broadcast === "invlpgb";
  }

  /**
   * INVLPGB (+ TLBSYNC) from `cpu` for kernel addresses: every CPU's entries for `vpns`
   * (or, with null, every entry: invlpgb_flush_all) are dropped without interrupting
   * anyone; the initiator pays one INVLPGB per invlpgb_max_pages pages and the TLBSYNC wait.
   */
  #broadcastKernel(cpu: number, vpns: readonly number[] | null): void {
    const ledger = this.ledger;
    const perInsn = Math.max(1, this.profile.parameters.invlpgb_max_pages.value);
    const instructions = vpns === null ? 1 : Math.max(1, Math.ceil(vpns.length / perInsn));
    ledger.count(Ev.invlpgb, instructions);
    ledger.charge(cpu, Cat.tlb_broadcast, this.#p.invlpgb_cycles, instructions);
    for (let target = 0; target < this.cpus; target++) {
      if (vpns === null) {
        this.#closeAllStale(target);
        this.tlb.flushAll(target);
      } else {
        for (const vpn of vpns) {
          if (this.#pendingStale.size > 0) this.#closeStaleAt(target, vpn);
          this.tlb.invalidate(target, vpn);
        }
      }
    }
    ledger.charge(cpu, Cat.tlb_broadcast, this.#p.tlbsync_cycles);
  }

  /**
   * flush_tlb_kernel_range(): above tlb_single_page_flush_ceiling (33) pages every online CPU
   * does a full flush, otherwise every online CPU runs an INVLPG loop; always by IPI to all
   * online CPUs, synchronously.
   */
  flushTlbKernelRange(cpu: number, vpn: number, pages: number): void {
    this.ledger.count(Ev.shootdowns);
    const ceiling = this.profile.parameters.tlb_single_page_flush_ceiling.value;
    if (this.broadcastInvalidation) {
      const vpns: number[] = [];
      if (pages <= ceiling) for (let page = 0; page < pages; page++) vpns.push(vpn + page);
      this.#broadcastKernel(cpu, pages > ceiling ? null : vpns);
    } else if (pages > ceiling) {
      this.onEachCpu(cpu, (target) => this.flushLocalAll(target));
    } else {
      this.onEachCpu(cpu, (target) => {
        for (let page = 0; page < pages; page++) this.invlpg(target, vpn + page);
      });
    }
    if (pages > ceiling) this.#pendingStale.clear();
    else this.#dropStale(vpn, vpn + pages);
  }

  /**
   * cpa_flush() for a list of pages (arch/x86/mm/pat/set_memory.c): above the 33-page ceiling
   * flush_tlb_all(), otherwise one IPI to every CPU, each running INVLPG on each listed page.
   */
  flushTlbKernelPages(cpu: number, vpns: readonly number[]): void {
    const ceiling = this.profile.parameters.tlb_single_page_flush_ceiling.value;
    if (vpns.length > ceiling) {
      this.flushTlbAll(cpu);
      return;
    }
    this.ledger.count(Ev.shootdowns);
    if (this.broadcastInvalidation) this.#broadcastKernel(cpu, vpns);
    else {
      this.onEachCpu(cpu, (target) => {
        for (const vpn of vpns) this.invlpg(target, vpn);
      });
    }
    for (const vpn of vpns) this.#pendingStale.delete(vpn);
  }

  /** flush_tlb_all(): full flush on every online CPU by IPI. */
  flushTlbAll(cpu: number): void {
    this.ledger.count(Ev.shootdowns);
    if (this.broadcastInvalidation) this.#broadcastKernel(cpu, null);
    else this.onEachCpu(cpu, (target) => this.flushLocalAll(target));
    this.#pendingStale.clear();
  }

  // ---------------------------------------------------------------------------------------
  // User address spaces and their TLB flushes (arch/x86/mm/tlb.c).

  /** The Mm with `id`, created empty on first use. */
  mm(id: number): Mm {
    let mm = this.mms.get(id);
    if (mm === undefined) {
      mm = new Mm(id, this.cpus);
      this.mms.set(id, mm);
    }
    return mm;
  }

  /**
   * switch_mm_irqs_off() for the thread now running on `cpu`: a kernel thread keeps the
   * loaded mm and goes lazy (enter_lazy_tlb); a user thread of another mm loads it, leaving
   * the previous mm's cpumask and joining the new one's.
   */
  switchMm(cpu: number, thread: Thread): void {
    if (thread.mm < 0) {
      this.isLazy[cpu] = 1;
      return;
    }
    this.isLazy[cpu] = 0;
    const previous = this.loadedMm[cpu];
    if (previous === thread.mm) {
      this.mm(thread.mm).cpumask[cpu] = 1;
      return;
    }
    if (previous >= 0) {
      const old = this.mms.get(previous);
      if (old) old.cpumask[cpu] = 0;
    }
    this.mm(thread.mm).cpumask[cpu] = 1;
    this.loadedMm[cpu] = thread.mm;
  }

  /** The address space `id` is gone (after exit_mmap): no CPU keeps it loaded. */
  dropMm(id: number): void {
    this.mms.delete(id);
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      if (this.loadedMm[cpu] === id) {
        this.loadedMm[cpu] = -1;
        this.isLazy[cpu] = 0;
      }
    }
  }

  /** flush_tlb_func() for a user range on `cpu`: INVLPG per page up to the ceiling, else a CR3 (non-global) flush. */
  #userFlushLocal(cpu: number, pages: number, full: boolean): void {
    const ledger = this.ledger;
    if (full) {
      ledger.count(Ev.user_full_flushes);
      ledger.charge(cpu, Cat.tlb_flush, this.#p.cr3_flush_cycles);
    } else {
      ledger.count(Ev.invlpg, pages);
      ledger.charge(cpu, Cat.invlpg, this.#p.invlpg_cycles, pages);
    }
  }

  /**
   * flush_tlb_mm_range(mm, start, start + pages, PAGE_SHIFT, freedTables) from `cpu`.
   * Above tlb_single_page_flush_ceiling pages (or pages = Infinity, TLB_FLUSH_ALL) each
   * CPU does a full non-global flush, else one INVLPG per page. Only CPUs in the mm's
   * cpumask are reached: when another one is there, flush_tlb_multi() IPIs those that
   * should_flush_tlb() accepts (not lazy, unless page tables were freed) and the initiator
   * flushes itself if it has the mm loaded; otherwise only the local flush, if loaded.
   * With broadcast=invlpgb and the mm in at least invlpgbMinCpus CPUs' masks, INVLPGB for
   * the mm then TLBSYNC instead, no IPIs.
   */
  flushTlbMmRange(cpu: number, mmId: number, pages: number, freedTables = false): void {
    const mm = this.mms.get(mmId);
    if (mm === undefined) return;
    const ledger = this.ledger;
    ledger.count(Ev.mm_flushes);
    const ceiling = this.profile.parameters.tlb_single_page_flush_ceiling.value;
    const full = !Number.isFinite(pages) || pages > ceiling;
    const loadedHere = this.loadedMm[cpu] === mmId;
    let others = false;
    for (let target = 0; target < this.cpus; target++) {
      if (target !== cpu && mm.cpumask[target]) {
        others = true;
        break;
      }
    }
    if (!others) {
      if (loadedHere) this.#userFlushLocal(cpu, pages, full);
      return;
    }
    if (this.broadcastInvalidation && mm.cpusInMask() >= this.config.invlpgbMinCpus) {
      const perInsn = Math.max(1, this.profile.parameters.invlpgb_max_pages.value);
      const instructions = full ? 1 : Math.max(1, Math.ceil(pages / perInsn));
      ledger.count(Ev.invlpgb, instructions);
      ledger.charge(cpu, Cat.tlb_broadcast, this.#p.invlpgb_cycles, instructions);
      ledger.charge(cpu, Cat.tlb_broadcast, this.#p.tlbsync_cycles);
      return;
    }
    ledger.count(Ev.shootdowns);
    const targets: number[] = [];
    for (let target = 0; target < this.cpus; target++) {
      if (target === cpu || !mm.cpumask[target]) continue;
      // should_flush_tlb(): lazy CPUs flush at their next switch, unless tables were freed.
      if (!freedTables && this.isLazy[target]) continue;
      if (this.loadedMm[target] !== mmId && !freedTables) continue;
      targets.push(target);
    }
    this.#ipiMany(
      cpu,
      targets,
      (target) => {
        if (target !== cpu || loadedHere) this.#userFlushLocal(target, pages, full);
      },
      loadedHere,
    );
  }

  // ---------------------------------------------------------------------------------------
  // Locks: spinlocks queue in simulated time.

  lockId(name: string): number {
    let id = this.#lockNames.indexOf(name);
    if (id >= 0) return id;
    id = this.#lockNames.length;
    this.#lockNames.push(name);
    if (id >= this.#lockFreeAt.length) {
      const freeAt = new Float64Array(id * 2);
      freeAt.set(this.#lockFreeAt);
      this.#lockFreeAt = freeAt;
      const holder = new Int32Array(id * 2).fill(-1);
      holder.set(this.#lockHolder);
      this.#lockHolder = holder;
    }
    return id;
  }

  /**
   * spin_lock(): if the lock is held until later in simulated time, `cpu` spins until it
   * is free (charged as lock_spin); taking a line last held by another CPU costs a transfer.
   * With `sleeping`, the wait advances the clock without charging cycles (a mutex).
   */
  acquire(cpu: number, lock: number, sleeping = false): void {
    const ledger = this.ledger;
    const freeAt = this.#lockFreeAt[lock];
    const now = this.now(cpu);
    if (freeAt > now) {
      ledger.count(Ev.lock_contended);
      if (sleeping) {
        ledger.count(Ev.lock_sleeps);
        ledger.clock[cpu] = freeAt;
      } else {
        ledger.chargeDerived(cpu, Cat.lock_spin, freeAt - now);
      }
    }
    const previous = this.#lockHolder[lock];
    if (previous >= 0 && previous !== cpu)
      ledger.charge(cpu, Cat.lock, this.#p.lock_transfer_cycles);
    ledger.charge(cpu, Cat.lock, this.#p.lock_acquire_cycles);
    this.#lockHolder[lock] = cpu;
    // Held until released; mark as busy "forever" meanwhile.
    this.#lockFreeAt[lock] = Number.POSITIVE_INFINITY;
  }

  release(cpu: number, lock: number): void {
    this.#lockFreeAt[lock] = this.now(cpu);
  }

  // ---------------------------------------------------------------------------------------
  // Scheduling: context switch and migration.

  /**
   * Switches `cpu` to `next` (__switch_to): the outgoing thread's kmap_local slots are
   * cleared with one local INVLPG each (__kmap_local_sched_out), the incoming thread's PKRS
   * is loaded through the cache (x86_pkrs_load) and its slots re-installed
   * (__kmap_local_sched_in, PTE writes, no flush).
   */
  contextSwitch(cpu: number, next: Thread): void {
    const previous = this.current[cpu];
    if (previous === next) return;
    if (next.cpu !== cpu) throw new Error(`thread ${next.id} is not on CPU ${cpu}`);
    if (
      this.checkInvariants &&
      this.cr4Pks[cpu] &&
      previous.exceptionPkrs.length === 0 &&
      this.pkrs[cpu] !== previous.pkrs
    ) {
      this.violations.push(
        `context switch on CPU ${cpu}: PKRS ${this.pkrs[cpu].toString(16)} differs from thread ${previous.id}'s saved ${previous.pkrs.toString(16)}`,
      );
    }
    this.ledger.count(Ev.context_switches);
    this.ledger.charge(cpu, Cat.context_switch, this.#p.context_switch_cycles);
    for (let slot = 0; slot < previous.kmapDepth; slot++) {
      const vpn = this.fixmapVpn(cpu, slot);
      this.clearKernelPte(cpu, vpn);
      this.invlpg(cpu, vpn);
    }
    this.current[cpu] = next;
    this.switchMm(cpu, next);
    if (this.cr4Pks[cpu]) this.writePkrs(cpu, next.pkrs);
    for (let slot = 0; slot < next.kmapDepth; slot++) {
      this.setKernelPte(cpu, this.fixmapVpn(cpu, slot), next.kmapPfn[slot], next.kmapPte[slot]);
    }
  }

  /**
   * Moves a thread that is not running to another CPU's run queue. Refused (returns false)
   * while the thread has migration disabled (kmap_local, kmap_atomic).
   */
  migrate(thread: Thread, toCpu: number): boolean {
    if (toCpu < 0 || toCpu >= this.cpus) throw new RangeError(`no CPU ${toCpu}`);
    if (this.current[thread.cpu] === thread) throw new Error("migrate: thread is running");
    if (thread.migrateDisable > 0) {
      this.ledger.count(Ev.migrations_deferred);
      return false;
    }
    this.ledger.count(Ev.migrations);
    this.ledger.charge(toCpu, Cat.migration, this.#p.migration_cycles);
    thread.cpu = toCpu;
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // kmap_local on the per-CPU fixmap (the HIGHMEM mechanism, mm/highmem.c).

  /**
   * __kmap_local_pfn_prot(): migrate_disable, push a slot, write its PTE (no flush).
   * Returns the slot's vpn, or -1 when all 15 usable slots are taken (the kernel BUGs).
   */
  kmapLocalPush(thread: Thread, pfn: number, pte: number): number {
    if (thread.kmapDepth >= KMAP_LOCAL_MAX_NESTING) return -1;
    const cpu = thread.cpu;
    this.ledger.charge(cpu, Cat.kmap_slot, this.#p.kmap_local_slot_cycles);
    thread.migrateDisable++;
    const slot = thread.kmapDepth++;
    thread.kmapPfn[slot] = pfn;
    thread.kmapPte[slot] = pte;
    const vpn = this.fixmapVpn(cpu, slot);
    this.setKernelPte(cpu, vpn, pfn, pte);
    return vpn;
  }

  /** kunmap_local_indexed(): LIFO only; pte_clear plus one local INVLPG, no IPI. */
  kmapLocalPop(thread: Thread, vpn: number): void {
    const cpu = thread.cpu;
    const slot = thread.kmapDepth - 1;
    if (slot < 0 || this.fixmapVpn(cpu, slot) !== vpn) {
      throw new Error(`kunmap_local out of order on CPU ${cpu}: slots are a stack`);
    }
    this.ledger.charge(cpu, Cat.kmap_slot, this.#p.kmap_local_slot_cycles);
    this.clearKernelPte(cpu, vpn);
    this.invlpg(cpu, vpn);
    thread.kmapDepth--;
    thread.migrateDisable--;
  }

  // ---------------------------------------------------------------------------------------
  // kmap() on the pkmap pool (x86-32-highmem; mm/highmem.c kmap_high, kunmap_high).

  #registerHighmemCosts(): void {
    const owner = "machine:x86-32-highmem";
    this.#pkmapLookup = this.ledger.registerParameter(
      "pkmap_lookup_cycles",
      owner,
      HIGHMEM_COSTS.pkmap_lookup_cycles,
    );
    this.#pkmapScan = this.ledger.registerParameter(
      "pkmap_scan_entry_cycles",
      owner,
      HIGHMEM_COSTS.pkmap_scan_entry_cycles,
    );
  }

  /** vpn of pkmap entry `nr` (PKMAP_ADDR(nr)). */
  pkmapVpn(nr: number): number {
    return this.pkmapBase + nr;
  }

  /** pkmap_count[nr] (for tests and reports): 0 free, 1 mapped unused, n + 1 with n users. */
  pkmapCount(nr: number): number {
    return this.#pkmapCount[nr];
  }

  /**
   * kmap_high(): under the global kmap_lock, page_address() finds the page's pkmap entry if
   * it has one; otherwise map_new_virtual() advances last_pkmap_nr to the next free entry,
   * calling flush_all_zero_pkmaps() each time the search wraps to entry 0, and installs a
   * PTE (set_pte_at, no flush: the entry was not present). The entry's count goes up.
   * Returns the vpn, or -1 when every entry is in use: the kernel would sleep on
   * pkmap_map_wait until a kunmap(), which the caller must treat as not served.
   */
  kmapHigh(cpu: number, pfn: number, pte: number): number {
    if (this.pkmapPages === 0)
      throw new Error(`kmapHigh: a ${this.arch} machine has no pkmap pool`);
    if (this.inDirectMap(pfn)) throw new Error("kmapHigh: a low page is reached at page_address()");
    const lock = this.lockId("kmap_lock");
    this.acquire(cpu, lock);
    this.ledger.charge(cpu, Cat.kmap_slot, this.#pkmapLookup);
    let nr = this.#pkmapOf.get(pfn);
    if (nr !== undefined) {
      this.pkmapHits++;
    } else {
      let left = this.pkmapPages;
      let scanned = 0;
      for (;;) {
        this.#lastPkmap = (this.#lastPkmap + 1) % this.pkmapPages;
        scanned++;
        if (this.#lastPkmap === 0) {
          this.#flushAllZeroPkmaps(cpu);
          left = this.pkmapPages;
        }
        if (this.#pkmapCount[this.#lastPkmap] === 0) break;
        if (--left === 0) {
          this.ledger.charge(cpu, Cat.kmap_slot, this.#pkmapScan, scanned);
          this.release(cpu, lock);
          return -1;
        }
      }
      this.ledger.charge(cpu, Cat.kmap_slot, this.#pkmapScan, scanned);
      nr = this.#lastPkmap;
      this.setKernelPte(cpu, this.pkmapVpn(nr), pfn, pte);
      this.#pkmapCount[nr] = 1;
      this.#pkmapOf.set(pfn, nr);
      this.pkmapInstalls++;
    }
    this.#pkmapCount[nr]++;
    this.release(cpu, lock);
    return this.pkmapVpn(nr);
  }

  /**
   * kunmap_high(): under kmap_lock, the entry's count goes down. Nothing is cleared or
   * flushed: an entry whose count drops to 1 stays mapped (and cached in TLBs) until the
   * pool next wraps.
   */
  kunmapHigh(cpu: number, vpn: number, evict = false): void {
    const nr = vpn - this.pkmapBase;
    if (nr < 0 || nr >= this.pkmapPages || this.#pkmapCount[nr] < 2) {
      throw new Error(`kunmap_high: vpn ${vpn} is not a kmap()ed pkmap entry (the kernel BUGs)`);
    }
    const lock = this.lockId("kmap_lock");
    this.acquire(cpu, lock);
    this.ledger.charge(cpu, Cat.kmap_slot, this.#pkmapLookup);
    this.#pkmapCount[nr]--;
    if (evict && this.#pkmapCount[nr] === 1) {
      // Not 6.1: the last user's kunmap() clears the entry at once and flushes it on every
      // CPU (flush_tlb_kernel_range of one page), so no stale pkmap address outlives it.
      this.#pkmapCount[nr] = 0;
      this.clearKernelPte(cpu, vpn);
      this.#pkmapOf.delete(this.#pkmapPfn[nr]);
      this.#pkmapPfn[nr] = -1;
      this.flushTlbKernelRange(cpu, vpn, 1);
    }
    this.release(cpu, lock);
  }

  /**
   * flush_all_zero_pkmaps(), under kmap_lock: every entry with count 1 (mapped, no user) is
   * cleared and forgotten; if any was, one flush_tlb_kernel_range() over the whole pool runs
   * on every CPU (by IPI: a full flush, the pool being above the single-page ceiling).
   */
  #flushAllZeroPkmaps(cpu: number): void {
    this.ledger.charge(cpu, Cat.kmap_slot, this.#pkmapScan, this.pkmapPages);
    let flush = false;
    for (let nr = 0; nr < this.pkmapPages; nr++) {
      if (this.#pkmapCount[nr] !== 1) continue;
      this.#pkmapCount[nr] = 0;
      this.clearKernelPte(cpu, this.pkmapVpn(nr));
      this.#pkmapOf.delete(this.#pkmapPfn[nr]);
      this.#pkmapPfn[nr] = -1;
      flush = true;
    }
    if (flush) {
      this.pkmapWrapFlushes++;
      this.flushTlbKernelRange(cpu, this.pkmapBase, this.pkmapPages);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Exposure accounting for coverage: page-cycles during which a watched (protected) page
  // can be written through its direct-map address, or through a stale TLB entry.

  /** Marks pages as protected for exposure accounting (by the engine, not a strategy). */
  watch(pfns: ArrayLike<number>): void {
    this.#accrueAllExposure();
    for (let i = 0; i < pfns.length; i++) {
      const page = pfns[i];
      if (this.isWatched(page)) continue;
      let chunk = this.#watched[page >>> CHUNK_SHIFT];
      if (chunk === undefined) {
        chunk = new Uint8Array(CHUNK_PAGES);
        this.#watched[page >>> CHUNK_SHIFT] = chunk;
      }
      chunk[page & CHUNK_MASK] = 1;
      const pte = this.directPte(page);
      if ((pte & (PTE_PRESENT | PTE_WRITABLE)) === (PTE_PRESENT | PTE_WRITABLE)) {
        this.#watchedWritable[(pte & PTE_PKEY_MASK) >>> PTE_PKEY_SHIFT]++;
      }
    }
  }

  isWatched(pfn: number): boolean {
    if (pfn < 0 || pfn >= this.pages) return false;
    const chunk = this.#watched[pfn >>> CHUNK_SHIFT];
    return chunk !== undefined && chunk[pfn & CHUNK_MASK] === 1;
  }

  #exposureRate(cpu: number): number {
    let rate = 0;
    const pkrs = this.pkrs[cpu];
    const pks = this.cr4Pks[cpu];
    for (let key = 0; key < PKS_KEYS; key++) {
      const count = this.#watchedWritable[key];
      if (count === 0) continue;
      if (!pks || ((pkrs >>> (key * 2)) & 3) === 0) rate += count;
    }
    return rate;
  }

  #accrueExposure(cpu: number): void {
    const now = this.now(cpu);
    const elapsed = now - this.#exposureSince[cpu];
    if (elapsed > 0) this.exposure[cpu] += this.#exposureRate(cpu) * elapsed;
    this.#exposureSince[cpu] = now;
  }

  #accrueAllExposure(): void {
    for (let cpu = 0; cpu < this.cpus; cpu++) this.#accrueExposure(cpu);
  }

  /**
   * Boot is over: every CPU's clock moves to the latest one so that all start the workload
   * together, and exposure counting starts from there (setup time is not exposure).
   */
  beginWorkload(): void {
    const clock = this.ledger.clock;
    const start = Math.max(...clock);
    clock.fill(start);
    this.exposure.fill(0);
    this.#exposureSince.fill(start);
  }

  /** Brings every CPU's exposure up to its current clock (call at the end of a run). */
  settleExposure(): void {
    this.#accrueAllExposure();
    for (let cpu = 0; cpu < this.cpus; cpu++) this.#closeAllStale(cpu);
  }

  #noteStale(cpu: number, vpn: number, pfn: number): void {
    if (this.isWatched(pfn) && !this.#pendingStale.has(vpn)) {
      this.#pendingStale.set(vpn, this.now(cpu));
    }
  }

  /** `cpu` is about to drop its entry for `vpn`: if that entry was stale and writable, the
   * time since the PTE changed was exposure. */
  #closeStaleAt(cpu: number, vpn: number): void {
    const since = this.#pendingStale.get(vpn);
    if (since !== undefined) this.#closeStale(cpu, vpn, since);
  }

  #closeStale(cpu: number, vpn: number, since: number): void {
    if (this.tlb.probe(cpu, vpn) < 0) return;
    if ((this.tlb.hitPte & (PTE_PRESENT | PTE_WRITABLE)) !== (PTE_PRESENT | PTE_WRITABLE)) return;
    const current = this.pteOf(vpn);
    if ((current & PTE_WRITABLE) !== 0 && this.walkPfn === this.tlb.hitPfn) return;
    const elapsed = this.now(cpu) - since;
    if (elapsed > 0) this.exposure[cpu] += elapsed;
  }

  /**
   * `cpu` is about to flush its whole TLB: closes every pending window its TLB still holds,
   * in the order the windows opened. With few windows, each is probed; with many, the CPU's
   * valid 4 KiB entries are looked up among the windows instead (a large entry that covers
   * a window sends it back to probing every window): the same windows close in the same
   * order either way.
   */
  #closeAllStale(cpu: number): void {
    const pending = this.#pendingStale;
    if (pending.size === 0) return;
    const tlb = this.tlb;
    if (pending.size <= STALE_PROBE_LIMIT || this.#staleInLargeEntries(cpu)) {
      for (const [vpn, since] of pending.entries()) this.#closeStale(cpu, vpn, since);
      return;
    }
    const keys = this.#tlbKeys;
    const count = tlb.validKeys(cpu, SIZE_4K, keys);
    const found: number[] = [];
    for (let i = 0; i < count; i++) {
      const order = pending.order(keys[i]);
      if (order >= 0) found.push(order, keys[i]);
    }
    if (found.length === 0) return;
    const pairs: [number, number][] = [];
    for (let i = 0; i < found.length; i += 2) pairs.push([found[i], found[i + 1]]);
    pairs.sort((a, b) => a[0] - b[0]);
    let previous = -1;
    for (const [order, vpn] of pairs) {
      if (order === previous) continue;
      previous = order;
      this.#closeStale(cpu, vpn, pending.get(vpn) as number);
    }
  }

  /** Whether a valid 2M or 1G entry of `cpu` covers a vpn with a pending window. */
  #staleInLargeEntries(cpu: number): boolean {
    const keys = this.#tlbKeys;
    const pending = this.#pendingStale;
    for (let size = SIZE_2M; size <= SIZE_1G; size++) {
      const count = this.tlb.validKeys(cpu, size, keys);
      for (let i = 0; i < count; i++) if (pending.covers(size, keys[i])) return true;
    }
    return false;
  }

  /** Every CPU has flushed [from, to): those stale windows are closed everywhere. */
  #dropStale(from: number, to: number): void {
    const pending = this.#pendingStale;
    if (to - from < pending.size) {
      for (let vpn = from; vpn < to; vpn++) pending.delete(vpn);
      return;
    }
    for (const vpn of pending.keys()) {
      if (vpn >= from && vpn < to) pending.delete(vpn);
    }
  }

  /** Total exposure in page-cycles, all CPUs. */
  totalExposure(): number {
    let sum = 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) sum += this.exposure[cpu];
    return sum;
  }

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
