/**
 * The btrfs btree search stream shared by btrfs-metadata and btrfs-debug-ro: the extent
 * buffer layout (16 KiB nodes and leaves, their headers, key pointers and items), the
 * helper calls of one visit of one extent buffer, and the operations of one search under
 * each calling convention (`mapping`: per-helper, per-visit, per-search; `reads`: direct
 * page_address() reads). metadata.ts describes the kernel paths and the crossing rates;
 * debug-ro.ts the read-only variant.
 *
 * @packageDocumentation
 */
import type { Intent, KeyMode } from "../../core/contract/strategy.ts";
import type { Operation, RegionSpec } from "../../core/contract/workload.ts";
import type { Rng } from "../../core/rng.ts";
import { defineOptions, type OptionValuesOf } from "../api.ts";
import * as spec from "../common/params.ts";
import { handleOf, jitter, PAGE_BYTES } from "../common/streams.ts";

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
  searches: spec.perThread(30, "searches/thread", "Btree searches each thread performs."),
  threads: spec.THREADS,
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
  write_ratio: spec.ratio(0.25, "Fraction of searches that modify the leaf item they find."),
  item_read_ratio: spec.ratio(
    0.5,
    "Fraction of leaf visits that read the whole item with read_extent_buffer.",
  ),
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
  search_cycles: spec.cycles(
    1500,
    "Mean unrelated work per search (path management, locking, key compares).",
  ),
  touches: spec.touches(
    6,
    "Reads of unprotected kernel memory per search (btrfs_path, eb headers in memory).",
  ),
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

/** The region of a search stream: `ebs` extent buffers of {@link EB_PAGES} pages, keyed `keyMode`. */
export function ebRegion(keyMode: KeyMode) {
  return (params: { readonly ebs: number; readonly contiguous: boolean }): RegionSpec => ({
    pages: params.ebs * EB_PAGES,
    keyMode,
    contiguous: params.contiguous,
  });
}

/** The stream of one thread: `searches` searches of `shape`, with run-wide unique handles. */
export function* searchStream(
  context: { readonly thread: number; readonly threads: number; readonly rng: Rng },
  searches: number,
  shape: SearchShape,
): Generator<Operation> {
  let next = 0;
  const nextHandle = () => handleOf(context.thread, context.threads, next++);
  for (let i = 0; i < searches; i++) yield* searchOps(context.rng, shape, nextHandle);
}
