import { join } from "node:path";
import { z } from "zod";
import {
  readJsonFile,
  schemaKeysAt,
  UserInputError,
  unknownChoiceError,
  zodErrorMessage,
} from "./errors.ts";
import { PACKAGE_ROOT } from "./package-root.ts";

/** How far a cost figure can be trusted; printed wherever the figure is. */
export const CONFIDENCE_LEVELS = ["verified", "secondary", "derived", "unverified"] as const;
export type Confidence = (typeof CONFIDENCE_LEVELS)[number];

const parameterSchema = z
  .object({
    value: z.number().finite().nonnegative(),
    unit: z.string().min(1),
    confidence: z.enum(CONFIDENCE_LEVELS),
    source: z.string().min(1),
    range: z.tuple([z.number().finite(), z.number().finite()]).optional(),
    fittedTo: z.string().optional(),
  })
  .strict();

const profileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "kebab-case"),
    summary: z.string().min(1),
    parameters: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), parameterSchema),
  })
  .strict();

/** One named cost parameter with its provenance. */
export type CostParameter = z.infer<typeof parameterSchema>;

/** A machine type's cost profile: every modelled cost, with value, unit, source, confidence. */
export interface CostProfile {
  readonly name: string;
  readonly summary: string;
  readonly parameters: Readonly<Record<string, CostParameter>>;
}

/** Parameters every profile must define: the model charges each of them. */
export const REQUIRED_PARAMETERS = [
  "clock_ghz",
  "data_access_cycles",
  "page_walk_level_cycles",
  "wrmsr_pkrs_cycles",
  "pkrs_cache_check_cycles",
  "pte_write_cycles",
  "invlpg_cycles",
  "flush_all_cycles",
  "tlb_single_page_flush_ceiling",
  "ipi_send_base_cycles",
  "ipi_per_target_cycles",
  "ipi_handler_cycles",
  "context_switch_cycles",
  "migration_cycles",
  "fault_entry_exit_cycles",
  "lock_acquire_cycles",
  "lock_transfer_cycles",
  "vmap_area_alloc_cycles",
  "vmap_area_free_cycles",
  "vmap_area_search_cycles",
  "vmap_block_alloc_cycles",
  "vmap_block_free_cycles",
  "vmap_purge_area_cycles",
  "page_alloc_cycles",
  "kmap_local_slot_cycles",
] as const;
export type RequiredParameter = (typeof REQUIRED_PARAMETERS)[number];

/**
 * Parameters added after profiles were first written (issue 18: the TLB hierarchy, kernel
 * entry, per-mm flushes, INVLPGB, the page allocator's bulk and free paths). A profile file that lacks one gets server-2022's entry,
 * marked unverified and saying so, so that older profile files keep loading.
 */
export const ADDED_PARAMETERS = [
  "l1d_entries_4k",
  "l1d_entries_2m",
  "l1d_entries_1g",
  "l1d_ways",
  "stlb_entries",
  "stlb_entries_1g",
  "stlb_ways",
  "stlb_hit_cycles",
  "cr3_flush_cycles",
  "syscall_entry_exit_cycles",
  "irq_entry_exit_cycles",
  "invlpgb_cycles",
  "invlpgb_max_pages",
  "tlbsync_cycles",
  "page_free_cycles",
  "page_alloc_bulk_call_cycles",
  "page_alloc_bulk_page_cycles",
] as const;

/**
 * Parameters that were merged into others: a profile that still defines one is refused
 * rather than silently ignored, with what replaced it.
 */
export const RETIRED_PARAMETERS: Readonly<Record<string, string>> = {
  pagetable_alloc_cycles:
    "page-table pages are order-0 page allocations, charged page_alloc_cycles (issue 18); rename it to page_alloc_cycles",
};

const BUILTIN_DIRECTORY = join(PACKAGE_ROOT, "core", "profiles");
/** Names of the cost profiles shipped with pkslab. */
export const BUILTIN_PROFILES = ["server-2022", "opteron-2008"] as const;
export const DEFAULT_PROFILE = "server-2022";

/** Validates a parsed profile object; `origin` names the file or source in errors. */
export function parseProfile(data: unknown, origin: string): CostProfile {
  const result = profileSchema.safeParse(data);
  if (!result.success) {
    const message = zodErrorMessage(result.error.issues, data, (at) =>
      schemaKeysAt(profileSchema, at),
    );
    throw new UserInputError(`cost profile ${origin}: ${message}`);
  }
  const missing = REQUIRED_PARAMETERS.filter((name) => !(name in result.data.parameters));
  if (missing.length > 0) {
    throw new UserInputError(
      `cost profile ${origin}: missing parameter(s) ${missing.join(", ")}; every profile must define: ${REQUIRED_PARAMETERS.join(", ")}.`,
    );
  }
  for (const [name, replacement] of Object.entries(RETIRED_PARAMETERS)) {
    if (name in result.data.parameters) {
      throw new UserInputError(
        `cost profile ${origin}: parameter ${name} is no longer used: ${replacement}`,
      );
    }
  }
  for (const [name, parameter] of Object.entries(result.data.parameters)) {
    if (parameter.range && parameter.range[0] > parameter.range[1]) {
      throw new UserInputError(`cost profile ${origin}: ${name}.range is empty (low > high).`);
    }
  }
  const lacking = ADDED_PARAMETERS.filter((name) => !(name in result.data.parameters));
  if (lacking.length === 0 || result.data.name === DEFAULT_PROFILE) return result.data;
  const fallback = loadProfile(DEFAULT_PROFILE).parameters;
  const parameters = { ...result.data.parameters };
  for (const name of lacking) {
    const entry = fallback[name];
    parameters[name] = {
      ...entry,
      confidence: "unverified",
      source: `not in profile ${result.data.name}; ${DEFAULT_PROFILE}'s value: ${entry.source}`,
    };
  }
  return { ...result.data, parameters };
}

/** Loads a built-in profile by name, or a JSON profile file by path. */
export function loadProfile(nameOrPath: string = DEFAULT_PROFILE): CostProfile {
  const isPath = nameOrPath.includes("/") || nameOrPath.endsWith(".json");
  if (!isPath && !(BUILTIN_PROFILES as readonly string[]).includes(nameOrPath)) {
    throw unknownChoiceError("cost profile", nameOrPath, BUILTIN_PROFILES);
  }
  const path = isPath ? nameOrPath : join(BUILTIN_DIRECTORY, `${nameOrPath}.json`);
  return parseProfile(readJsonFile(path, "cost profile"), path);
}

/**
 * `original` with its value replaced from the command line: the unit stays, the value
 * becomes unverified, and the source keeps what it replaced (`was`: "profile value" or
 * "declared value") for the report's list of unverified costs.
 */
export function setOnCommandLine<
  P extends { readonly value: number; readonly unit: string; readonly source: string },
>(original: P, value: number, was: string): P & { confidence: "unverified" } {
  return {
    ...original,
    value,
    confidence: "unverified",
    source: `set on the command line (${was} ${original.value} ${original.unit}: ${original.source})`,
  };
}

/**
 * Returns a copy of the profile with some values replaced (from `--set profile.NAME=V`).
 * An overridden parameter keeps its unit and is marked as set by the user.
 */
export function overrideProfile(
  profile: CostProfile,
  overrides: Readonly<Record<string, number>>,
): CostProfile {
  const parameters: Record<string, CostParameter> = { ...profile.parameters };
  for (const [name, value] of Object.entries(overrides)) {
    const original = parameters[name];
    if (!original) {
      throw unknownChoiceError(
        `cost parameter in profile ${profile.name}`,
        name,
        Object.keys(parameters),
      );
    }
    if (!Number.isFinite(value) || value < 0) {
      throw new UserInputError(
        `cost parameter ${name}: ${value} is not a finite non-negative number.`,
      );
    }
    parameters[name] = setOnCommandLine(original, value, "profile value");
  }
  return { ...profile, parameters };
}
