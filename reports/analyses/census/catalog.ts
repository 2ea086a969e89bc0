/**
 * The census's catalog: the mapping APIs it counts (name, family, what a strategy does with
 * them), the match classes, the areas of the tree left out, the file extensions read and
 * the counting rules every report states. Data only; the lexer (lexer.ts) matches these
 * names and the walker (scan.ts) reads the tree.
 */
/** The API families the census reports on. */
export type CensusApiGroup =
  | "kmap"
  | "kmap_atomic"
  | "kmap_local"
  | "direct-map"
  | "vmap"
  | "reverse"
  | "helper";

export interface CensusApi {
  readonly name: string;
  readonly group: CensusApiGroup;
}

/** Every API the census matches, in report order. */
export const CENSUS_APIS: readonly CensusApi[] = [
  { name: "kmap", group: "kmap" },
  { name: "kunmap", group: "kmap" },
  { name: "kmap_atomic", group: "kmap_atomic" },
  { name: "kmap_atomic_prot", group: "kmap_atomic" },
  { name: "kmap_atomic_pfn", group: "kmap_atomic" },
  { name: "kunmap_atomic", group: "kmap_atomic" },
  { name: "kmap_local_page", group: "kmap_local" },
  { name: "kmap_local_folio", group: "kmap_local" },
  { name: "kmap_local_page_prot", group: "kmap_local" },
  { name: "kmap_local_pfn", group: "kmap_local" },
  { name: "kunmap_local", group: "kmap_local" },
  { name: "page_address", group: "direct-map" },
  { name: "folio_address", group: "direct-map" },
  { name: "lowmem_page_address", group: "direct-map" },
  { name: "vmap", group: "vmap" },
  { name: "vunmap", group: "vmap" },
  { name: "vm_map_ram", group: "vmap" },
  { name: "vm_unmap_ram", group: "vmap" },
  { name: "kmap_to_page", group: "reverse" },
  { name: "memcpy_page", group: "helper" },
  { name: "memmove_page", group: "helper" },
  { name: "memset_page", group: "helper" },
  { name: "memcpy_from_page", group: "helper" },
  { name: "memcpy_to_page", group: "helper" },
  { name: "memzero_page", group: "helper" },
  { name: "zero_user", group: "helper" },
  { name: "zero_user_segment", group: "helper" },
  { name: "zero_user_segments", group: "helper" },
  { name: "folio_zero_range", group: "helper" },
  { name: "folio_zero_segment", group: "helper" },
  { name: "folio_zero_segments", group: "helper" },
  { name: "copy_highpage", group: "helper" },
  { name: "copy_user_highpage", group: "helper" },
  { name: "copy_mc_user_highpage", group: "helper" },
  { name: "clear_highpage", group: "helper" },
  { name: "clear_user_highpage", group: "helper" },
  { name: "bvec_kmap_local", group: "helper" },
  { name: "memcpy_from_bvec", group: "helper" },
  { name: "memcpy_to_bvec", group: "helper" },
  { name: "memzero_bvec", group: "helper" },
];

export const CENSUS_API_GROUPS: readonly CensusApiGroup[] = [
  "kmap",
  "kmap_atomic",
  "kmap_local",
  "direct-map",
  "vmap",
  "reverse",
  "helper",
];

/** What a match is. Only `call` counts in the headline totals. */
export type MatchClass = "call" | "member" | "define" | "declaration";
export const MATCH_CLASSES: readonly MatchClass[] = ["call", "member", "define", "declaration"];

/** Top-level directories that are scanned but reported apart from the headline totals. */
export const EXCLUDED_AREAS: readonly string[] = [
  "Documentation",
  "tools",
  "scripts",
  "samples",
  "usr",
];

/** File name endings that are scanned. */
export const SCANNED_EXTENSIONS: readonly string[] = [".c", ".h", ".S"];

/** The counting rules, printed in every human-readable output and in the JSON. */
export const COUNTING_RULES: readonly string[] = [
  "Files: *.c, *.h and *.S under the tree; symbolic links are never followed (counted as skipped); unreadable entries are listed and the scan goes on.",
  "Documentation/, tools/, scripts/, samples/ and usr/ are scanned but reported apart and left out of the headline totals.",
  "C comments (/* */ and //) and string and character literals are blanked before matching; line numbers are kept. Preprocessor conditionals are not evaluated (#if 0 code counts).",
  "A match is NAME followed by optional whitespace and '(' with a word boundary before NAME (so lowmem_page_address( is not page_address(). Matches are counted, not lines.",
  "member: preceded by '->' or '.' (an ops-table callback that shares the name, e.g. ->vmap().",
  "define: '#define NAME(' (the API's own function-like macro).",
  "declaration: a prototype or the function's own definition: NAME preceded by a type (an identifier that is not return/else/do/case/sizeof/typeof, or a '*' after one), even across lines.",
  "call: every other match, including calls written inside macro bodies (counted once, where written). Headline totals count calls only.",
  "Implicit direct-map users (virt_to_page(), __va(), page_to_virt(), phys_to_virt(), plain pointers into lowmem) exist and are not counted.",
];
