/**
 * Adoption mapping: how the census counts translate into "call sites each strategy forces
 * to change". One data table per built-in strategy; a strategy plugin can declare its own
 * `CensusAdoptionRule` (validated by `censusAdoptionRuleSchema`).
 *
 * The reasoning and citations are in docs/census.md; each rule carries its citations.
 */
import { z } from "zod";
import { UserInputError } from "../../../core/errors.ts";
import { CENSUS_APIS } from "./catalog.ts";
import type { CensusFileRow, CensusSite } from "./scan.ts";

/** Limits a term to some files, optionally to some enclosing functions in them. */
export interface CensusAdoptionScope {
  /** A file or a directory (prefix, without trailing slash) relative to the tree root. */
  readonly path: string;
  /** Names of enclosing functions (as the scanner reports them); omitted: the whole path. */
  readonly functions?: readonly string[];
}

export interface CensusAdoptionTerm {
  /** Stable identifier, e.g. "direct-map-users". */
  readonly id: string;
  readonly label: string;
  /** APIs whose `call` matches (headline area) this term counts. */
  readonly apis: readonly string[];
  /** What has to happen at each counted site. */
  readonly change: string;
  /** Restricts the term to some files or functions; omitted: the whole tree. */
  readonly scope?: readonly CensusAdoptionScope[];
  /** False: shown for context but left out of the strategy's total. Default true. */
  readonly counted?: boolean;
}

export interface CensusAdoptionRule {
  /** The strategy name, as `pkslab` knows it. */
  readonly strategy: string;
  /** One sentence: what the strategy asks of call sites. */
  readonly summary: string;
  readonly terms: readonly CensusAdoptionTerm[];
  /** What the numbers leave out (stated in every output). */
  readonly notCounted: readonly string[];
  readonly citations: readonly string[];
}

export interface CensusAdoptionTermResult {
  readonly id: string;
  readonly label: string;
  readonly apis: readonly string[];
  readonly change: string;
  readonly counted: boolean;
  readonly sites: number;
  /** Sites per top-level directory (nonzero only). */
  readonly byDir1: Readonly<Record<string, number>>;
  /** For function-scoped terms: sites per "path:function". */
  readonly byFunction?: Readonly<Record<string, number>>;
}

const HELPER_CHANGES_ONCE = "none at the call site: the helper changes once";

/** Every kmap-family site (kmap, kmap_atomic, kmap_local and their unmaps), counted. */
function kmapFamilyTerm(label: string, change: string): CensusAdoptionTerm {
  return { id: "kmap-family", label, apis: [...KMAP_FAMILY], change };
}

/** The helpers that map internally, shown for context (their callers need no edit). */
function helpersTerm(change: string): CensusAdoptionTerm {
  return {
    id: "helpers",
    label: "helpers that map internally (context, not counted)",
    apis: HELPERS,
    change,
    counted: false,
  };
}

export interface CensusAdoptionResult {
  readonly strategy: string;
  readonly summary: string;
  /** Sum of the counted terms. */
  readonly sites: number;
  readonly terms: readonly CensusAdoptionTermResult[];
  readonly notCounted: readonly string[];
  readonly citations: readonly string[];
}

const API_NAMES = CENSUS_APIS.map((api) => api.name);

const scopeSchema = z.object({
  path: z.string().min(1),
  functions: z.array(z.string().min(1)).min(1).optional(),
});

const termSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and dashes"),
  label: z.string().min(1),
  apis: z
    .array(
      z.string().refine((name) => API_NAMES.includes(name), {
        message: `not a census API (known: ${API_NAMES.join(", ")})`,
      }),
    )
    .min(1),
  change: z.string().min(1),
  scope: z.array(scopeSchema).min(1).optional(),
  counted: z.boolean().optional(),
});

/** Schema for a rule a strategy plugin declares. */
export const censusAdoptionRuleSchema = z
  .object({
    strategy: z.string().min(1),
    summary: z.string().min(1),
    terms: z.array(termSchema),
    notCounted: z.array(z.string()),
    citations: z.array(z.string()),
  })
  .superRefine((rule, context) => {
    const ids = new Set<string>();
    const unscopedApis = new Map<string, string>();
    for (const term of rule.terms) {
      if (ids.has(term.id)) {
        context.addIssue({ code: "custom", message: `duplicate term id "${term.id}"` });
      }
      ids.add(term.id);
      if (term.counted === false || term.scope) continue;
      for (const api of term.apis) {
        const other = unscopedApis.get(api);
        if (other !== undefined) {
          context.addIssue({
            code: "custom",
            message: `API "${api}" is counted by both "${other}" and "${term.id}"`,
          });
        }
        unscopedApis.set(api, term.id);
      }
    }
  });

/** Validates a plugin-declared rule; bad rules are user input errors. */
export function parseCensusAdoptionRule(
  value: unknown,
  source = "adoption rule",
): CensusAdoptionRule {
  const parsed = censusAdoptionRuleSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "(rule)"}: ${issue.message}`)
      .join("; ");
    throw new UserInputError(`invalid census ${source}: ${problems}`);
  }
  return parsed.data;
}

const KMAP_FAMILY = [
  "kmap",
  "kunmap",
  "kmap_atomic",
  "kmap_atomic_prot",
  "kmap_atomic_pfn",
  "kunmap_atomic",
  "kmap_local_page",
  "kmap_local_folio",
  "kmap_local_page_prot",
  "kmap_local_pfn",
  "kunmap_local",
] as const;

const DIRECT_MAP = ["page_address", "folio_address", "lowmem_page_address"] as const;

const HELPERS = CENSUS_APIS.filter((api) => api.group === "helper").map((api) => api.name);

const IMPLICIT_USERS =
  "Implicit direct-map users (virt_to_page(), __va(), page_to_virt(), phys_to_virt(), pointers kept from an earlier page_address()) exist and are not counted.";

const UPPER_BOUND =
  "Not every direct-map user can reach protected memory: the direct-map count is the set to audit, an upper bound on the sites that must change.";

const CITE_LWN =
  "LWN, 'Seeking an API for protection keys supervisor', J. Corbet, 11 May 2022, https://lwn.net/Articles/894531/";
const CITE_V10 =
  "Weiny, PKS/PMEM stray write protection V10 cover letter, 19 Apr 2022, <20220419170649.1022246-1-ira.weiny@intel.com> (kmap() unsupported; kmap_local_page()/kmap_atomic() carry the PKRS switch)";
const CITE_TOPIC =
  "Weiny, LSFMM 2022 topic proposal: 'the loss of direct access via page_address() in !HIGHMEM builds', linux-fsdevel msg212804";
const CITE_WILCOX_VMAP =
  "Wilcox, 19 Sep 2020, <20200919173906.GQ32101@casper.infradead.org>: convert kmap() users that hand the address to another task 'into using vmap() instead'";
const CITE_SEAN =
  "Christopherson, 14 Sep 2022, <YyH+IGpBBsjfHdDC@google.com>: 'Not all kernel code is well behaved and bounces through kmap(); undoubtedly some of the 1200+ users of page_address() will be problematic.'";
const CITE_XPFO =
  "Aziz, XPFO RFC v9, 4 Apr 2019, <cover.1554248001.git.khalid.aziz@oracle.com>: kmap must map the page to a new VA once the direct-map alias is gone";
const CITE_RANGE =
  "Weiny and Wilcox, 2 Jun 2022, <Ypjjt87qL+ROFBtM@iweiny-desk3>, <YpjpeMsFsVUxuh3W@casper.infradead.org>: kmap_local_range() would save the per-page unmap/remap";
const CITE_BTRFS =
  "pkslab reference kernel-mechanics.md section 8.2: btrfs extent-buffer helpers split every access at page boundaries with page_address() (fs/btrfs/extent_io.c, fs/btrfs/struct-funcs.c, 6.1)";

/** Extent-buffer helpers in fs/btrfs/extent_io.c (6.1) that loop over or split at page boundaries. */
export const BTRFS_CROSS_PAGE_HELPERS: readonly string[] = [
  "btrfs_clone_extent_buffer",
  "read_extent_buffer",
  "read_extent_buffer_to_user_nofault",
  "memcmp_extent_buffer",
  "write_extent_buffer",
  "memzero_extent_buffer",
  "copy_extent_buffer_full",
  "copy_extent_buffer",
  "extent_buffer_bitmap_set",
  "extent_buffer_bitmap_clear",
  "copy_pages",
];

/** The built-in rules, one per strategy name. */
export const BUILTIN_ADOPTION_RULES: readonly CensusAdoptionRule[] = [
  {
    strategy: "unprotected",
    summary: "The baseline: no protection, so no call site changes.",
    terms: [],
    notCounted: [],
    citations: [],
  },
  {
    strategy: "pks-kmap",
    summary:
      "kmap_local_page()/kmap_atomic() lift PKS for the current thread; sites that reach memory without such a bracket, and global kmap() users, must change.",
    terms: [
      {
        id: "direct-map-users",
        label: "direct-map users (page_address, folio_address, lowmem_page_address)",
        apis: [...DIRECT_MAP],
        change: "gains a kmap_local_page()/kunmap_local() bracket (no unmap exists today)",
      },
      {
        id: "global-kmap",
        label: "global kmap()/kunmap() pairs",
        apis: ["kmap", "kunmap"],
        change:
          "becomes kmap_local_page()/kunmap_local(): a global mapping cannot carry a thread-local PKRS grant",
      },
      {
        id: "bracketed",
        label: "kmap_atomic and kmap_local sites (context, not counted)",
        apis: KMAP_FAMILY.filter((name) => name !== "kmap" && name !== "kunmap"),
        change: "none: they already bracket the access and carry the PKRS switch",
        counted: false,
      },
      helpersTerm(HELPER_CHANGES_ONCE),
    ],
    notCounted: [UPPER_BOUND, IMPLICIT_USERS],
    citations: [CITE_LWN, CITE_V10, CITE_TOPIC],
  },
  {
    strategy: "vmap-alias",
    summary:
      "Protected pages are written through a vmap()/vm_map_ram() alias; every kmap-family bracket is converted to map and unmap an alias.",
    terms: [
      kmapFamilyTerm(
        "kmap-family brackets (kmap, kmap_atomic, kmap_local and their unmaps)",
        "converted to vmap()/vunmap() (or vm_map_ram()/vm_unmap_ram()) of the page",
      ),
      {
        id: "direct-map-users",
        label: "direct-map users (context, not counted)",
        apis: [...DIRECT_MAP],
        change: "would need an alias too where they can reach protected memory",
        counted: false,
      },
      {
        id: "existing-vmap",
        label: "existing vmap()/vm_map_ram() users (context, not counted)",
        apis: ["vmap", "vunmap", "vm_map_ram", "vm_unmap_ram"],
        change: "none: already an alias",
        counted: false,
      },
      helpersTerm(HELPER_CHANGES_ONCE),
    ],
    notCounted: [
      "Direct-map users are shown for context and not counted: the mapping counts bracketing sites only.",
      IMPLICIT_USERS,
    ],
    citations: [CITE_LWN, CITE_WILCOX_VMAP],
  },
  {
    strategy: "no-direct-map",
    summary:
      "Protected pages leave the direct map; every direct-map derivation must map explicitly and every kmap site becomes a real mapping.",
    terms: [
      {
        id: "direct-map-derivations",
        label: "direct-map derivations (page_address, folio_address, lowmem_page_address)",
        apis: [...DIRECT_MAP],
        change: "rewritten to map the page explicitly (no direct-map address exists)",
      },
      kmapFamilyTerm(
        "kmap-family sites (kmap, kmap_atomic, kmap_local and their unmaps)",
        "no edit, but each becomes a real mapping (PTE write, unmap and TLB flush)",
      ),
      helpersTerm("no edit; they map for real inside the helper"),
    ],
    notCounted: [IMPLICIT_USERS],
    citations: [CITE_LWN, CITE_XPFO, CITE_SEAN],
  },
  {
    strategy: "kmap-local-range",
    summary:
      "One kmap_local_range() maps a multi-page object; per-page mapping calls in helpers that loop over page boundaries collapse into one call.",
    terms: [
      {
        id: "btrfs-cross-page-helpers",
        label: "btrfs extent-buffer helpers that loop over or split at page boundaries",
        apis: [...DIRECT_MAP, "kmap", "kmap_atomic", "kmap_local_page", "kmap_local_folio"],
        change: "the per-page mappings collapse into one kmap_local_range() of the extent buffer",
        scope: [
          { path: "fs/btrfs/extent_io.c", functions: BTRFS_CROSS_PAGE_HELPERS },
          { path: "fs/btrfs/struct-funcs.c" },
        ],
      },
      {
        id: "multi-page-vmap",
        label: "vm_map_ram() users (context, not counted)",
        apis: ["vm_map_ram"],
        change: "already map several pages at once; candidates for a range API after an audit",
        counted: false,
      },
    ],
    notCounted: [
      "Only btrfs is counted: other multi-page users (xfs_buf with vm_map_ram(), ext2 directory records crossing pages, large folios) need a per-subsystem audit before they can be listed.",
      IMPLICIT_USERS,
    ],
    citations: [CITE_LWN, CITE_RANGE, CITE_BTRFS],
  },
];

/** The built-in rule for a strategy name, if any. */
export function builtinAdoptionRule(strategy: string): CensusAdoptionRule | undefined {
  return BUILTIN_ADOPTION_RULES.find((rule) => rule.strategy === strategy);
}

function inScope(site: CensusSite, scope: readonly CensusAdoptionScope[] | undefined): boolean {
  if (!scope) return true;
  return scope.some(
    (entry) =>
      (site.path === entry.path || site.path.startsWith(`${entry.path}/`)) &&
      (!entry.functions || (site.function !== null && entry.functions.includes(site.function))),
  );
}

/**
 * Applies rules to the census sites. Only `call` matches in the headline area
 * (files whose area is "kernel") count.
 */
export function computeAdoption(
  sites: readonly CensusSite[],
  files: readonly CensusFileRow[],
  rules: readonly CensusAdoptionRule[] = BUILTIN_ADOPTION_RULES,
): CensusAdoptionResult[] {
  const headline = new Set(files.filter((file) => file.area === "kernel").map((file) => file.path));
  const calls = sites.filter((site) => site.class === "call" && headline.has(site.path));
  return rules.map((rule) => {
    const terms = rule.terms.map((term): CensusAdoptionTermResult => {
      const apis = new Set(term.apis);
      const byDir1: Record<string, number> = {};
      const byFunction: Record<string, number> = {};
      let count = 0;
      for (const site of calls) {
        if (!apis.has(site.api) || !inScope(site, term.scope)) continue;
        count++;
        const dir1 = site.path.includes("/") ? site.path.slice(0, site.path.indexOf("/")) : ".";
        byDir1[dir1] = (byDir1[dir1] ?? 0) + 1;
        if (term.scope) {
          const key = `${site.path}:${site.function ?? "(file scope)"}`;
          byFunction[key] = (byFunction[key] ?? 0) + 1;
        }
      }
      return {
        id: term.id,
        label: term.label,
        apis: [...term.apis],
        change: term.change,
        counted: term.counted !== false,
        sites: count,
        byDir1,
        ...(term.scope ? { byFunction } : {}),
      };
    });
    return {
      strategy: rule.strategy,
      summary: rule.summary,
      sites: terms.filter((term) => term.counted).reduce((sum, term) => sum + term.sites, 0),
      terms,
      notCounted: [...rule.notCounted],
      citations: [...rule.citations],
    };
  });
}
