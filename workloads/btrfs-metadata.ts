/**
 * btrfs-metadata: tree searches over 16 KiB extent buffers whose helpers cross page
 * boundaries.
 *
 * Kernel path modelled (fs/btrfs/ctree.c, extent_io.c, struct-funcs.c in 6.1;
 * kernel-mechanics.md §8.2): a btree search descends `levels` extent buffers (ebs) of
 * nodesize 16 KiB = 4 pages. In each it binary-searches the keys (17-byte btrfs_disk_key at
 * the start of each 33-byte key pointer in nodes, each 25-byte item header in leaves, after
 * the 101-byte header), then in a node reads the child's blockptr and generation, and in a
 * leaf reads the item's offset/size, possibly the whole item (read_extent_buffer), some
 * members through the item accessors, and, when modifying, writes members back. Every
 * helper works on (offset, length) inside the eb, so some cross a page boundary:
 * read_extent_buffer loops per page (`cur = min(len, PAGE_SIZE - offset)`), and the item
 * accessors cache one page (`token->kaddr`) and split a straddling member into a two-part
 * memcpy.
 *
 * 6.1 maps nothing: every helper takes page_address() of each eb page directly
 * (`K:fs/btrfs/extent_io.c:read_extent_buffer`, struct-funcs.c, and the key probes of
 * `K:fs/btrfs/ctree.c:generic_bin_search`). A conversion to a mapping API brackets at one
 * of three places, the `mapping` parameter:
 * - `per-helper`: each helper call maps each page it touches (a kmap_local_page()
 *   conversion of the per-page loops); the accessor token keeps one page mapped across
 *   consecutive member accesses;
 * - `per-visit`: the whole eb is mapped once per visit (4 pages; what a kmap_local_range()
 *   or vmap_folio() caller does; Bacik at LSFMM 2022: "Btrfs often has to map 16KB
 *   metadata blocks"), and helper accesses may cross pages inside that one mapping;
 * - `per-search`: each eb on the path is mapped at its visit and held until the search
 *   releases the path (`K:fs/btrfs/ctree.c:btrfs_release_path` drops nodes[0], the leaf,
 *   first: LIFO, as local mappings need).
 * `api` (the default) is what a btrfs maintainer would write for each API: per-visit for a
 * range API (the point of one: "save some unmap/remap", Weiny, LKML 2 Jun 2022), per-helper
 * for a one-page API (it maps one page at a time, so its calls go where 6.1 takes
 * page_address(): inside each helper's per-page loop). `describe` states it. The helpers run sleepable: btrfs tree locks are rw_semaphores in 6.1
 * (`K:fs/btrfs/extent_io.h`, `struct extent_buffer`).
 *
 * Expected page-boundary crossing rate (per helper call, i.e. per `access` in per-visit
 * mode): about 0.5% at the default parameters (0.48% measured over 48,000 searches; the
 * test checks 0.35–0.65% over 4,800). Two sources:
 * - key probes in full nodes, about 5/6 of the crossings: a 17-byte key at the start of a 33-byte slot straddles an
 *   inner page boundary for 16 of the 33 slot phases, and a node of n pointers spans
 *   floor((101 + 33n)/4096) of the 3 inner boundaries;
 * - whole-item reads (`item_read_ratio`) of large items, the remaining 1/6: an item of L bytes placed
 *   uniformly in the leaf's data area crosses with probability about
 *   3(L−1)/(16384 − 101 − 25·nritems − L), i.e. ~25% for a 1024-byte csum item and
 *   ~1% for a 50-byte dir item.
 * 8-byte members and leaf key probes (the item array rarely reaches the first boundary)
 * add little. In per-helper mode no access crosses: a crossing helper becomes two
 * map/access/unmap triples, and a search issues ~25 maps instead of `levels`.
 *
 * Grounding: LWN 894531 (Bacik, Wilcox on kmap_local_range); Weiny/Wilcox LKML 2 Jun 2022
 * (kernel-mechanics.md §8.1); btrfs node size default 16 KiB (mkfs.btrfs docs);
 * `K:fs/btrfs/extent_io.c:read_extent_buffer`, `K:fs/btrfs/struct-funcs.c`.
 *
 * Physical layout (`contiguous`): 6.1 by default, scattered pages:
 * `K:fs/btrfs/extent_io.c:alloc_extent_buffer` allocates each eb page with
 * find_or_create_page() on the btree inode's mapping, whose contiguity "decrease[s] over
 * time basically to zero" (Sterba, 20230727141840.GC17922@twin.jikos.cz). Keying the
 * region then splits one direct-map leaf per page at setup, a one-off cost (reported in
 * `setup.cycles`, apart from the steady-state costs). `contiguous = true` models newer kernels
 * (6.8+): folio-backed ebs, physically contiguous, with the `eb->addr` fast path (commit
 * 2dc8b96809b2, kernel-mechanics.md §8.2), drawn from a pool keyed in 2 MiB chunks.
 *
 * Against the real trace (docs/traces.md, 6.1 under qemu): the synthetic stream makes 28.3
 * helper calls per search at the defaults, of which 20.3 are generic_bin_search() key
 * probes, inlined in 6.1 and so absent from the trace; the other 8.0 compare with the
 * trace's median of 12 calls per search (15-18 in its lookup phases; its mean, 73.7, is
 * skewed by modifying searches). 0.47% of the synthetic helper calls cross a page
 * boundary against the trace's 0.75%. Nothing was fitted to the trace.
 *
 * One `complete` per search.
 */

import type { Intent } from "../core/contract/strategy.ts";
import type { Rng } from "../core/rng.ts";
import { defineOptions, defineWorkload, type Operation, type OptionValuesOf } from "./api.ts";
import { handleOf, jitter, PAGE_BYTES, strayParams, THREADS_PARAM, threadCount } from "./params.ts";

/** Pages per extent buffer at the default nodesize (16 KiB). */
export const EB_PAGES = 4;
export const EB_BYTES = EB_PAGES * PAGE_BYTES;
/** sizeof(struct btrfs_header). */
export const HEADER_BYTES = 101;
/** sizeof(struct btrfs_disk_key), btrfs_key_ptr, btrfs_item. */
export const KEY_BYTES = 17;
export const KEY_PTR_BYTES = 33;
export const ITEM_BYTES = 25;
/** Item data sizes drawn uniformly (inode item, inode ref, dir item, dir index, file extent x2, csum). */
export const ITEM_SIZES = [160, 30, 50, 50, 53, 53, 1024] as const;

/**
 * Where a converted caller brackets its map/unmap: around each helper call (each page a
 * helper touches), around each extent-buffer visit (the whole eb), or around the whole
 * search (every eb on the path held mapped until btrfs_release_path()).
 */
export type MappingShape = "per-helper" | "per-visit" | "per-search";
/** The `mapping` parameter: a fixed shape, or `api` (each API's natural calling convention). */
export type MappingParam = MappingShape | "api";

/** Parameters of a search stream. */
export interface SearchShape {
  readonly ebs: number;
  readonly levels: number;
  readonly writeRatio: number;
  readonly itemReadRatio: number;
  readonly memberReads: number;
  readonly mapping: MappingShape;
  /**
   * Read-only helpers read through page_address() with no map call (6.1's code, legal on a
   * write-disable region whose direct map stays readable); writes still map.
   */
  readonly directReads: boolean;
  readonly searchCycles: number;
  readonly touches: number;
}

/** One helper call: `length` bytes at `offset` in the eb; a token group shares one page mapping. */
interface Helper {
  readonly offset: number;
  readonly length: number;
  readonly write: boolean;
}

/** The helper calls of one visit of one eb, in groups (each group is one token / one call). */
function visitHelpers(rng: Rng, leaf: boolean, modify: boolean, shape: SearchShape): Helper[][] {
  const groups: Helper[][] = [];
  const nritems = leaf
    ? rng.int(30, 200)
    : rng.int(120, Math.floor((EB_BYTES - HEADER_BYTES) / KEY_PTR_BYTES));
  const stride = leaf ? ITEM_BYTES : KEY_PTR_BYTES;
  // generic_bin_search over the slots.
  const target = rng.int(0, nritems - 1);
  let low = 0;
  let high = nritems;
  while (low < high) {
    const mid = (low + high) >>> 1;
    groups.push([{ offset: HEADER_BYTES + mid * stride, length: KEY_BYTES, write: false }]);
    if (mid < target) low = mid + 1;
    else if (mid > target) high = mid;
    else break;
  }
  const slot = HEADER_BYTES + target * stride;
  if (!leaf) {
    // btrfs_node_blockptr + btrfs_node_ptr_generation.
    groups.push([{ offset: slot + KEY_BYTES, length: 16, write: false }]);
    return groups;
  }
  // btrfs_item_offset / btrfs_item_size.
  groups.push([{ offset: slot + KEY_BYTES, length: 8, write: false }]);
  const size = rng.pick(ITEM_SIZES);
  const dataStart = HEADER_BYTES + nritems * ITEM_BYTES;
  const data = rng.int(dataStart, EB_BYTES - size);
  if (rng.chance(shape.itemReadRatio)) {
    groups.push([{ offset: data, length: size, write: false }]);
  }
  const members: Helper[] = [];
  for (let i = 0; i < shape.memberReads; i++) {
    members.push({ offset: rng.int(data, data + size - 8), length: 8, write: false });
  }
  if (members.length > 0) groups.push(members);
  if (modify) {
    const writes: Helper[] = [];
    for (let i = 0; i < 2; i++) {
      writes.push({ offset: rng.int(data, data + size - 8), length: 8, write: true });
    }
    groups.push(writes);
  }
  return groups;
}

/**
 * The stream of one search: compute, then `levels` eb visits (root first, then random
 * nodes, a leaf last), each mapped per range or per page. `nextHandle` hands out run-wide
 * unique handles.
 */
export function* searchOps(
  rng: Rng,
  shape: SearchShape,
  nextHandle: () => number,
): Generator<Operation> {
  yield { kind: "compute", cycles: jitter(rng, shape.searchCycles), touches: shape.touches };
  const modify = rng.chance(shape.writeRatio);
  /** per-search: the mappings of the path, root first (released leaf first, LIFO). */
  const held: number[] = [];
  for (let level = 0; level < shape.levels; level++) {
    const leaf = level === shape.levels - 1;
    const eb = level === 0 ? 0 : rng.int(1, shape.ebs - 1);
    const firstPage = eb * EB_PAGES;
    const groups = visitHelpers(rng, leaf, leaf && modify, shape);
    if (shape.directReads && !(leaf && modify)) {
      // A read-only visit: every helper reads page_address(eb->pages[i]) + offset, as 6.1's
      // read_extent_buffer() and the struct-funcs accessors do.
      for (const group of groups) {
        for (const h of group) {
          yield { kind: "direct-read", page: firstPage, offset: h.offset, length: h.length };
        }
      }
      continue;
    }
    if (shape.mapping === "per-visit" || shape.mapping === "per-search") {
      const handle = nextHandle();
      const intent: Intent = leaf && modify ? "write" : "read";
      yield {
        kind: "map",
        handle,
        page: firstPage,
        count: EB_PAGES,
        intent,
        scope: "local",
        context: "sleepable",
      };
      for (const group of groups) {
        for (const h of group) {
          yield { kind: "access", handle, offset: h.offset, length: h.length, write: h.write };
        }
      }
      if (shape.mapping === "per-visit") yield { kind: "unmap", handle };
      else held.push(handle);
      continue;
    }
    // per-helper: map each page a helper touches; a token group keeps its current page.
    for (const group of groups) {
      if (shape.directReads && !group.some((g) => g.write)) {
        for (const h of group) {
          yield { kind: "direct-read", page: firstPage, offset: h.offset, length: h.length };
        }
        continue;
      }
      let mapped = -1;
      let handle = -1;
      for (const h of group) {
        let offset = h.offset;
        let remaining = h.length;
        while (remaining > 0) {
          const page = Math.floor(offset / PAGE_BYTES);
          const inPage = offset % PAGE_BYTES;
          const part = Math.min(remaining, PAGE_BYTES - inPage);
          if (page !== mapped) {
            if (mapped >= 0) yield { kind: "unmap", handle };
            handle = nextHandle();
            mapped = page;
            const intent: Intent = group.some((g) => g.write) ? "write" : "read";
            yield {
              kind: "map",
              handle,
              page: firstPage + page,
              count: 1,
              intent,
              scope: "local",
              context: "sleepable",
            };
          }
          yield { kind: "access", handle, offset: inPage, length: part, write: h.write };
          offset += part;
          remaining -= part;
        }
      }
      if (mapped >= 0) yield { kind: "unmap", handle };
    }
  }
  // btrfs_release_path(): nodes[0] (the leaf, mapped last) first, up to the root.
  for (let i = held.length - 1; i >= 0; i--) yield { kind: "unmap", handle: held[i] };
  yield { kind: "complete" };
}

/** Parameters shared by btrfs-metadata and btrfs-debug-ro. */
export const SEARCH_PARAMS = defineOptions({
  searches: {
    default: 30,
    unit: "searches/thread",
    description: "Btree searches each thread performs.",
    min: 1,
    max: 10_000_000,
  },
  threads: THREADS_PARAM,
  ebs: {
    default: 256,
    unit: "extent buffers",
    description: "Metadata extent buffers (16 KiB, 4 pages each) in the protected region.",
    min: 2,
    max: 1 << 18,
  },
  levels: {
    default: 3,
    unit: "levels",
    description: "Tree height: ebs visited per search (root, internal nodes, leaf).",
    min: 1,
    max: 8,
  },
  write_ratio: {
    default: 0.25,
    unit: "ratio",
    description: "Fraction of searches that modify the leaf item they find.",
    min: 0,
    max: 1,
  },
  item_read_ratio: {
    default: 0.5,
    unit: "ratio",
    description: "Fraction of leaf visits that read the whole item with read_extent_buffer.",
    min: 0,
    max: 1,
  },
  member_reads: {
    default: 4,
    unit: "reads",
    description: "Item members read through the accessors per leaf visit (8 bytes each).",
    min: 0,
    max: 64,
  },
  mapping: {
    default: "api",
    unit: "-",
    description:
      "Where a converted caller brackets map/unmap: per-helper maps each page a helper call touches (a kmap_local_page() conversion of the per-page loops); per-visit maps the whole 16 KiB eb once per visit; per-search maps each eb on the path at its visit and holds it until btrfs_release_path() (LIFO). api = the default a btrfs maintainer would write for the API: per-visit for a range API (kmap_local_range, vmap), per-helper for a one-page API (kmap_local_page).",
    choices: ["api", "per-helper", "per-visit", "per-search"],
  },
  contiguous: {
    default: false,
    unit: "-",
    description:
      "false (6.1): alloc_extent_buffer() allocates each eb page with find_or_create_page(), so pages are scattered and keying the region splits a direct-map leaf per page at setup; true (6.8+): folio-backed ebs, physically contiguous (the eb->addr fast path, commit 2dc8b96809b2), from a pool keyed in 2 MiB chunks.",
  },
  search_cycles: {
    default: 1500,
    unit: "cycles",
    description: "Mean unrelated work per search (path management, locking, key compares).",
    min: 0,
    max: 10_000_000,
  },
  touches: {
    default: 6,
    unit: "accesses",
    description:
      "Reads of unprotected kernel memory per search (btrfs_path, eb headers in memory).",
    min: 0,
    max: 10_000,
  },
});

/** Reads a SearchShape from resolved parameters. */
export function searchShape(
  params: OptionValuesOf<typeof SEARCH_PARAMS> & {
    /** btrfs-debug-ro's parameter; a stream without it maps its reads. */
    readonly reads?: "api" | "page-address" | "map";
  },
  strategyMapsRanges = false,
  strategyDirectMapReads = false,
): SearchShape {
  const mapping: MappingParam = params.mapping;
  const reads = params.reads ?? "map";
  return {
    ebs: params.ebs,
    levels: params.levels,
    writeRatio: params.write_ratio,
    itemReadRatio: params.item_read_ratio,
    memberReads: params.member_reads,
    mapping: mapping === "api" ? (strategyMapsRanges ? "per-visit" : "per-helper") : mapping,
    directReads: reads === "page-address" || (reads === "api" && strategyDirectMapReads),
    searchCycles: params.search_cycles,
    touches: params.touches,
  };
}

export default defineWorkload({
  name: "btrfs-metadata",
  version: "1.0.0",
  summary: "Btree searches over 16 KiB extent buffers whose helpers cross page boundaries",
  citation:
    "LWN 894531 (Bacik: 16KB metadata blocks; Wilcox: kmap_local_range); K:fs/btrfs/extent_io.c read_extent_buffer, K:fs/btrfs/struct-funcs.c (kernel-mechanics.md §8)",
  params: { ...SEARCH_PARAMS, ...strayParams() },
  region: (params) => ({
    pages: params.ebs * EB_PAGES,
    keyMode: "access-disable",
    contiguous: params.contiguous,
  }),
  threads: threadCount,
  *generate({ thread, threads, rng, params, strategyMapsRanges }): Generator<Operation> {
    const shape = searchShape(params, strategyMapsRanges);
    let next = 0;
    const nextHandle = () => handleOf(thread, threads, next++);
    const searches = params.searches;
    for (let i = 0; i < searches; i++) yield* searchOps(rng, shape, nextHandle);
  },
});
