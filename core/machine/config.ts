/**
 * The machine's configuration: its shape (`MachineConfig`), the defaults, the check that
 * names a bad field, and the resolution that fills in every optional field. The parameters
 * themselves, as data (unit, default, source, choices), are in params.ts.
 */
import { UserInputError } from "../errors.ts";
import type { CostProfile } from "../profile.ts";
import {
  type Arch,
  type BroadcastMode,
  type FlushMode,
  HIGHMEM_DEFAULTS,
  MACHINE_PARAMS,
  MAX_CPUS,
  profileTlbGeometry,
  type RegionMemory,
} from "./params.ts";

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
