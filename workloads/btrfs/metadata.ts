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

import { defineWorkload, type Operation } from "../api.ts";
import * as spec from "../common/params.ts";
import { ebRegion, SEARCH_PARAMS, searchShape, searchStream } from "./search.ts";

export default defineWorkload({
  name: "btrfs-metadata",
  version: "1.0.0",
  summary: "Btree searches over 16 KiB extent buffers whose helpers cross page boundaries",
  citation:
    "LWN 894531 (Bacik: 16KB metadata blocks; Wilcox: kmap_local_range); K:fs/btrfs/extent_io.c read_extent_buffer, K:fs/btrfs/struct-funcs.c (kernel-mechanics.md §8)",
  params: { ...SEARCH_PARAMS, ...spec.strayParams() },
  region: ebRegion("access-disable"),
  threads: spec.threadCount,
  generate(context): Iterable<Operation> {
    const { params, strategyMapsRanges } = context;
    return searchStream(context, params.searches, searchShape(params, strategyMapsRanges));
  },
});
