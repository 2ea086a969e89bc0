/**
 * The machine's parameters as data: every field of MachineConfig with its unit, default,
 * valid values and source, so that `--set machine.<param>=<value>` can set any of them,
 * `pkslab describe machine` can list them, and a bad value is one clear error.
 *
 * TLB geometry defaults come from the cost profile (the profile names the CPU it models
 * and cites each size); the other defaults are DEFAULT_MACHINE's.
 */
import { UserInputError, unknownChoiceError } from "../errors.ts";
import type { CostProfile } from "../profile.ts";

/** How a multi-CPU TLB flush orders the local flush and the remote IPIs. */
export const FLUSH_MODES = ["serial", "concurrent"] as const;
export type FlushMode = (typeof FLUSH_MODES)[number];
/** How remote TLBs are invalidated: IPIs to each CPU, or AMD's INVLPGB broadcast. */
export const BROADCAST_MODES = ["ipi", "invlpgb"] as const;
export type BroadcastMode = (typeof BROADCAST_MODES)[number];
/** Machine architectures: the x86-64 default and a 32-bit PAE machine with HIGHMEM. */
export const ARCHS = ["x86-64", "x86-32-highmem"] as const;
export type Arch = (typeof ARCHS)[number];
/** Where the protected region lives on a HIGHMEM machine. */
export const REGION_MEMORY = ["highmem", "lowmem"] as const;
export type RegionMemory = (typeof REGION_MEMORY)[number];
/** Defaults of the parameters that exist only on a HIGHMEM machine (see MACHINE_PARAMS). */
export const HIGHMEM_DEFAULTS = {
  lowmemMiB: 896,
  pkmapEntries: 512,
  regionMemory: "highmem",
} as const;
/** Direct-map leaf sizes, as written on the command line. */
export const DIRECT_MAP_LEAVES = ["4K", "2M", "1G"] as const;

/** TLB geometry fields of MachineConfig and the profile parameter each defaults to. */
export const TLB_GEOMETRY_PARAMS = {
  l1dEntries4k: "l1d_entries_4k",
  l1dEntries2m: "l1d_entries_2m",
  l1dEntries1g: "l1d_entries_1g",
  l1dWays: "l1d_ways",
  stlbEntries: "stlb_entries",
  stlbEntries1g: "stlb_entries_1g",
  stlbWays: "stlb_ways",
} as const;
export type TlbGeometryField = keyof typeof TLB_GEOMETRY_PARAMS;

/** One machine parameter. */
export interface MachineParamSpec {
  readonly name: string;
  readonly kind: "integer" | "choice" | "boolean";
  readonly unit: string;
  readonly description: string;
  /** Where the default comes from. */
  readonly source: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** The cost-profile parameter that supplies the default (TLB geometry). */
  readonly profileParameter?: string;
  /**
   * Only meaningful on a machine of another architecture than the x86-64 default: the
   * resolved (echoed) configuration of an x86-64 machine leaves it out, so x86-64 results
   * read exactly as before the parameter existed. `arch` itself is echoed only when set.
   */
  readonly offDefaultArch?: boolean;
  /** The default when the machine defaults do not hold the field (offDefaultArch ones). */
  readonly fallback?: number | boolean | string;
}

export const MAX_CPUS = 8192;

const TLB_SPEC = (
  name: TlbGeometryField,
  unit: string,
  description: string,
  max: number,
): MachineParamSpec => ({
  name,
  kind: "integer",
  unit,
  description,
  source: `the cost profile's ${TLB_GEOMETRY_PARAMS[name]} (its source and confidence: pkslab profile)`,
  min: 1,
  max,
  profileParameter: TLB_GEOMETRY_PARAMS[name],
});

/** Every machine parameter, in the order `describe machine` lists them. */
export const MACHINE_PARAMS: readonly MachineParamSpec[] = [
  {
    name: "cpus",
    kind: "integer",
    unit: "CPUs",
    description: "Online logical CPUs (the same as --cpus).",
    source: "model choice (default 16)",
    min: 1,
    max: MAX_CPUS,
  },
  {
    name: "memoryGiB",
    kind: "integer",
    unit: "GiB",
    description: "Physical memory, direct-mapped in full.",
    source: "model choice (default 16)",
    min: 1,
    max: 1024,
  },
  {
    name: "directMapLeaf",
    kind: "choice",
    unit: "-",
    description:
      "Leaf size of the direct map at boot: 1G when the CPU has gbpages (arch/x86/mm/init.c init_memory_mapping via kernel_physical_mapping_init), 2M or 4K otherwise.",
    source: "Linux x86-64 on a CPU with X86_FEATURE_GBPAGES (default 1G)",
    choices: DIRECT_MAP_LEAVES,
  },
  {
    name: "vmallocPages",
    kind: "integer",
    unit: "pages",
    description: "Modelled pages of vmalloc virtual address space.",
    source: "model choice (default 1048576 = 4 GiB)",
    min: 4096,
    max: 1 << 26,
  },
  {
    name: "cr0wp",
    kind: "boolean",
    unit: "-",
    description: "CR0.WP: supervisor writes honour R/W and PKS write-disable.",
    source: "Linux pins CR0.WP to 1 (arch/x86/kernel/cpu/common.c native_write_cr0); default true",
  },
  {
    name: "flush",
    kind: "choice",
    unit: "-",
    description:
      "serial: the initiator flushes its own TLB, then sends the IPIs and waits (flush_tlb_mm_range before Linux 5.3); concurrent: it sends the IPIs first and flushes locally while the targets do (6.1 native_flush_tlb_multi -> on_each_cpu_cond_mask, kernel/smp.c smp_call_function_many_cond).",
    source: "Linux 6.1 arch/x86/mm/tlb.c (default concurrent)",
    choices: FLUSH_MODES,
  },
  {
    name: "broadcast",
    kind: "choice",
    unit: "-",
    description:
      "ipi: remote TLBs are flushed by IPI (6.1); invlpgb: AMD INVLPGB broadcast invalidation then TLBSYNC, no IPIs, for mms active on at least invlpgbMinCpus CPUs and for kernel flushes (van Riel's series, RIK25).",
    source: "Linux 6.1 has no INVLPGB support (default ipi); RIK25 (cost-references.md E17)",
    choices: BROADCAST_MODES,
  },
  {
    name: "invlpgbMinCpus",
    kind: "integer",
    unit: "CPUs",
    description:
      "With broadcast=invlpgb, a user flush is broadcast only when the mm is active on at least this many CPUs; otherwise IPIs as usual.",
    source:
      'RIK25: broadcast is used "only ... for processes that are active on 3 or more CPUs" (cost-references.md 3.4) (default 3)',
    min: 1,
    max: MAX_CPUS,
  },
  {
    name: "nrCpus",
    kind: "integer",
    unit: "CPUs",
    description:
      "CONFIG_NR_CPUS, a build constant, not the online count: it sizes the per-CPU vmap blocks (VMAP_BBMAP_BITS in mm/vmalloc.c); a machine with more online CPUs is treated as built for that many.",
    source: "NR_CPUS_DEFAULT for an SMP x86-64 build without MAXSMP, arch/x86/Kconfig (default 64)",
    min: 1,
    max: MAX_CPUS,
  },
  {
    name: "arch",
    kind: "choice",
    unit: "-",
    description:
      "x86-64: the 64-bit machine with the whole of memory in the direct map and PKS; x86-32-highmem: a 32-bit PAE kernel (CONFIG_HIGHMEM, CONFIG_X86_PAE) whose direct map covers only low memory, high memory being reachable only through kmap_local_page() (per-CPU fixmap slots) and kmap() (the pkmap pool), with no PKS (Weiny v10 restricts PKS to x86_64) and 3-level PAE page walks.",
    source: "model choice (default x86-64)",
    choices: ARCHS,
    offDefaultArch: true,
    fallback: "x86-64",
  },
  {
    name: "lowmemMiB",
    kind: "integer",
    unit: "MiB",
    description:
      "x86-32-highmem only: memory below this is low memory, in the direct map; the rest is high memory.",
    source:
      "about 896 MiB with the default 3G/1G split: MAXMEM = VMALLOC_END - PAGE_OFFSET - __VMALLOC_RESERVE (arch/x86/include/asm/pgtable_32_areas.h), __VMALLOC_RESERVE = 128 MiB (arch/x86/mm/pgtable_32.c), PAGE_OFFSET 0xC0000000; the exact figure depends on the fixmap size (default 896)",
    min: 16,
    max: 1024,
    offDefaultArch: true,
    fallback: HIGHMEM_DEFAULTS.lowmemMiB,
  },
  {
    name: "pkmapEntries",
    kind: "integer",
    unit: "entries",
    description:
      "x86-32-highmem only: LAST_PKMAP, the size of kmap()'s pkmap pool; when the pool wraps, flush_all_zero_pkmaps() clears every unused entry and flushes the whole pool range on every CPU.",
    source:
      "LAST_PKMAP = 512 with CONFIG_X86_PAE, 1024 without (arch/x86/include/asm/pgtable_32_areas.h); Arm: PTRS_PER_PTE (arch/arm/include/asm/highmem.h) (default 512)",
    min: 16,
    max: 4096,
    offDefaultArch: true,
    fallback: HIGHMEM_DEFAULTS.pkmapEntries,
  },
  {
    name: "regionMemory",
    kind: "choice",
    unit: "-",
    description:
      "x86-32-highmem only: whether the protected region is placed in high memory (not in the direct map: GFP_HIGHUSER page cache, CONFIG_HIGHPTE page tables) or low memory (in the direct map, like x86-64).",
    source: "model choice (default highmem)",
    choices: REGION_MEMORY,
    offDefaultArch: true,
    fallback: HIGHMEM_DEFAULTS.regionMemory,
  },
  TLB_SPEC("l1dEntries4k", "entries", "Per-CPU L1 DTLB entries for 4 KiB pages.", 4096),
  TLB_SPEC("l1dEntries2m", "entries", "Per-CPU L1 DTLB entries for 2 MiB pages.", 4096),
  TLB_SPEC("l1dEntries1g", "entries", "Per-CPU L1 DTLB entries for 1 GiB pages.", 4096),
  TLB_SPEC("l1dWays", "ways", "Associativity of each L1 DTLB array.", 64),
  TLB_SPEC(
    "stlbEntries",
    "entries",
    "Per-CPU second-level TLB entries, shared by 4 KiB and 2 MiB translations.",
    65536,
  ),
  TLB_SPEC("stlbEntries1g", "entries", "Per-CPU second-level TLB entries for 1 GiB pages.", 65536),
  TLB_SPEC("stlbWays", "ways", "Associativity of each STLB array.", 64),
];

/** Other names accepted for a machine parameter (none today). */
export const MACHINE_PARAM_ALIASES: Readonly<Record<string, string>> = {};

/** The MachineConfig field a `--set machine.<name>` names (aliases resolved). */
export function machineParamName(name: string): string {
  return MACHINE_PARAM_ALIASES[name] ?? name;
}

/** Spec of one machine parameter, by name (or alias). */
export function machineParamSpec(name: string): MachineParamSpec {
  const field = machineParamName(name);
  const spec = MACHINE_PARAMS.find((candidate) => candidate.name === field);
  if (!spec) {
    throw unknownChoiceError(
      "machine parameter",
      name,
      MACHINE_PARAMS.map((p) => p.name),
    );
  }
  return spec;
}

/** The valid values of a spec, as an error message would list them. */
function validValues(spec: MachineParamSpec): string {
  if (spec.kind === "choice") return `one of ${(spec.choices ?? []).join(", ")}`;
  if (spec.kind === "boolean") return "true or false";
  return `a whole number from ${spec.min} to ${spec.max} (${spec.unit})`;
}

/**
 * Parses a `--set machine.<name>=<value>` value (command-line text or a config file's JSON
 * scalar) into the MachineConfig field's value; a bad one is a UserInputError naming the
 * valid values.
 */
export function parseMachineParam(name: string, value: number | boolean | string): unknown {
  const spec = machineParamSpec(name);
  const bad = () =>
    new UserInputError(
      `--set machine.${name}: "${String(value)}" is not valid; machine.${name} must be ${validValues(spec)}.`,
    );
  const text = String(value).trim();
  switch (spec.kind) {
    case "choice": {
      const choices = spec.choices ?? [];
      const match = choices.find((choice) => choice.toLowerCase() === text.toLowerCase());
      if (match === undefined) throw bad();
      // The direct-map leaf is held in lower case ("1g") in MachineConfig.
      return name === "directMapLeaf" ? match.toLowerCase() : match;
    }
    case "boolean": {
      if (value === true || text === "true") return true;
      if (value === false || text === "false") return false;
      throw bad();
    }
    case "integer": {
      const number = typeof value === "number" ? value : text === "" ? Number.NaN : Number(text);
      if (
        typeof value === "boolean" ||
        !Number.isInteger(number) ||
        number < (spec.min ?? -Infinity) ||
        number > (spec.max ?? Infinity)
      ) {
        throw bad();
      }
      return number;
    }
  }
}

/** The TLB geometry a profile gives, field by field. */
export function profileTlbGeometry(profile: CostProfile): Record<TlbGeometryField, number> {
  const out = {} as Record<TlbGeometryField, number>;
  for (const [field, parameter] of Object.entries(TLB_GEOMETRY_PARAMS) as [
    TlbGeometryField,
    string,
  ][]) {
    const entry = profile.parameters[parameter];
    if (!entry) throw new UserInputError(`cost profile ${profile.name} lacks ${parameter}.`);
    out[field] = entry.value;
  }
  return out;
}

/** One row of `pkslab describe machine`: a parameter with its default on a profile. */
export interface MachineParamRow {
  readonly name: string;
  readonly default: number | boolean | string;
  readonly unit: string;
  readonly allowed: string;
  readonly description: string;
  readonly source: string;
  /** The profile's confidence in the default (TLB geometry), else undefined. */
  readonly confidence?: string;
}

/** The machine parameters with their defaults under `profile` (TLB geometry from it). */
export function machineParamRows(
  defaults: Readonly<Record<string, unknown>>,
  profile: CostProfile,
): MachineParamRow[] {
  return MACHINE_PARAMS.map((spec) => {
    const raw = defaults[spec.name] ?? spec.fallback;
    const entry = spec.profileParameter ? profile.parameters[spec.profileParameter] : undefined;
    const value =
      spec.name === "directMapLeaf"
        ? String(raw).toUpperCase()
        : (raw as number | boolean | string);
    return {
      name: spec.name,
      default: value,
      unit: spec.unit,
      allowed: validValues(spec),
      description: spec.description,
      source: entry ? `${profile.name} ${spec.profileParameter}: ${entry.source}` : spec.source,
      ...(entry ? { confidence: entry.confidence } : {}),
    };
  });
}

/** `pkslab describe machine` as text. */
export function describeMachine(rows: readonly MachineParamRow[], profileName: string): string {
  const out = [
    `machine parameters (defaults with cost profile ${profileName}); set with --set machine.<name>=<value>`,
    "",
  ];
  for (const row of rows) {
    const unit = row.unit === "-" ? "" : ` ${row.unit}`;
    const confidence = row.confidence ? ` [${row.confidence}]` : "";
    out.push(`  ${row.name} = ${String(row.default)}${unit}  (${row.allowed})${confidence}`);
    out.push(`      ${row.description}`);
    out.push(`      default: ${row.source}`);
  }
  return `${out.join("\n")}\n`;
}
