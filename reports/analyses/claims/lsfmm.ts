/**
 * The built-in claims: the statements of the LSFMM+BPF 2023 discussion and the PKS patch
 * threads (each with its source, setup and predicate), checked by `pkslab claims`. A
 * table of data, the size of the claims it lists.
 */

import {
  below,
  type Claim,
  type ClaimCell,
  identicalCells,
  notOk,
  num,
  okCell,
  okPair,
  PROTECTED_STRATEGIES,
  PROTECTION_CATEGORIES,
  undecidable,
  type Verdict,
} from "./claims.ts";

const LWN =
  'LWN 894531, "Seeking an API for protection keys supervisor", Jonathan Corbet, 2022-05-11';

const CPO = "cost.cycles_per_op";

export const LSFMM_CLAIMS: readonly Claim[] = [
  {
    id: "pks-no-flush",
    quote:
      "The permissions set by PKS apply only on the local CPU; that means that they can changed quickly, with no need for expensive translation lookaside buffer (TLB) flushes.",
    speaker: "Ira Weiny",
    source: LWN,
    predicate:
      "pks-kmap's permission changes (the PKRS writes of kmap/kunmap) issue no TLB shootdown: beyond its one-off region setup, pks-kmap issues none on any workload whose permission changes go through kmap (xpfo-churn re-keys pages, a PTE change, and is reported apart)",
    setup:
      "a multi-CPU x86-64 machine, where a page-table permission change would need a shootdown (--cpus, default 4); every workload",
    workloads: "all",
    strategies: ["pks-kmap"],
    decide(results) {
      const evidence: string[] = [];
      let flushes = 0;
      let counted = 0;
      for (const workload of results.workloads) {
        const cell = results.cell(workload, "pks-kmap");
        if (cell?.status !== "ok") {
          evidence.push(`not counted: ${notOk(results, workload, "pks-kmap")}`);
          continue;
        }
        const extra =
          (cell.metrics["events.shootdowns"] ?? 0) - results.setupShootdowns(workload, "pks-kmap");
        if (workload === "xpfo-churn") {
          evidence.push(
            `xpfo-churn (page re-keying, not a kmap permission change): ${num(extra)} shootdowns beyond setup`,
          );
          continue;
        }
        counted++;
        if (extra > 0) {
          flushes++;
          evidence.push(`${workload}: pks-kmap issued ${num(extra)} shootdowns beyond setup`);
        }
      }
      if (counted === 0) return undecidable("no workload where pks-kmap ran cleanly");
      evidence.push(
        flushes === 0
          ? `no kmap-path shootdowns on any of ${counted} workloads`
          : `${flushes} of ${counted} workload(s) with kmap-path shootdowns`,
      );
      return { verdict: flushes === 0 ? "supported" : "refuted", evidence };
    },
  },
  {
    id: "kmap-does-nothing",
    quote:
      "In cases where the target page is in low memory (that would be all pages on 64-bit systems), those calls do nothing, but they must still be present.",
    speaker: "Jonathan Corbet (LWN), summarising Weiny",
    source: LWN,
    predicate:
      "the unprotected strategy (kmap = page_address() on x86-64) charges zero cycles in every protection category (PKRS, PTE, INVLPG, flush, IPI, page-table, fault, vmap, kmap slot) on every workload",
    setup: "x86-64: every page is in low memory (the model has no highmem); every workload",
    workloads: "all",
    strategies: ["unprotected"],
    decide(results) {
      const evidence: string[] = [];
      let worst = 0;
      for (const workload of results.workloads) {
        const cell = results.cell(workload, "unprotected");
        if (cell?.status !== "ok") return undecidable(notOk(results, workload, "unprotected"));
        const spent = PROTECTION_CATEGORIES.reduce(
          (sum, name) => sum + (cell.metrics[`cost.cycles.${name}`] ?? 0),
          0,
        );
        worst = Math.max(worst, spent);
        if (spent > 0) evidence.push(`${workload}: ${num(spent)} protection cycles`);
      }
      evidence.push(
        `largest mapping cost of unprotected over ${results.workloads.length} workloads: ${num(worst)} cycles`,
      );
      return { verdict: worst === 0 ? "supported" : "refuted", evidence };
    },
  },
  {
    id: "page-address-no-unmap",
    quote:
      "One apparent option is the page_address() macro, but that will not work due to the lack of an unmap operation.",
    speaker: "Ira Weiny",
    source: LWN,
    predicate:
      "without an unmap the key is never restored: on pmem-dax, page-address (lifts the key in page_address(), no unmap hook) leaves the protected pages exposed longer than pks-kmap, which restores it at kunmap (exposure page-cycles page-address > pks-kmap)",
    setup:
      "persistent memory accessed through the direct map (pmem-dax, the first user of Weiny's series)",
    workloads: ["pmem-dax"],
    strategies: ["page-address", "pks-kmap", "unprotected"],
    decide(results) {
      const w = "pmem-dax";
      const pair = okPair(results, w, "page-address", "pks-kmap");
      if ("verdict" in pair) return pair;
      const [lifted, pks] = pair;
      const exposure = lifted.metrics["exposure.page_cycles"];
      const bounded = pks.metrics["exposure.page_cycles"];
      const none = okCell(results, w, "unprotected");
      const evidence = [
        `exposure page-cycles: page-address ${num(exposure)}, pks-kmap ${num(bounded)}` +
          (none ? ` (unprotected, for scale: ${num(none.metrics["exposure.page_cycles"])})` : ""),
        `stray writes caught (context, not tested): page-address ${num(lifted.metrics["coverage.caught"])}, pks-kmap ${num(pks.metrics["coverage.caught"])}`,
      ];
      if (identicalCells(lifted, pks)) {
        return undecidable("page-address and pks-kmap are identical here (tie by construction)");
      }
      const longer = below(bounded, exposure);
      return {
        verdict: longer === "tie" ? "tie" : longer ? "supported" : "refuted",
        evidence,
      };
    },
  },
  {
    id: "vmap-long-term",
    quote:
      "Weiny said that could make long-term mappings, for which kmap() is not intended, work better.",
    speaker: "Ira Weiny",
    source: LWN,
    predicate:
      "on long-term-map, vmap-alias serves the long-term mappings better than kmap (pks-kmap): fewer failures (refused maps + broken accesses + false faults)",
    setup: "mappings held across sleeps and for long periods (long-term-map, scope long-term)",
    workloads: ["long-term-map"],
    strategies: ["vmap-alias", "pks-kmap"],
    decide(results) {
      const w = "long-term-map";
      const failures = (strategy: string) => {
        const cell = results.cell(w, strategy);
        // A refused map is the failure under test, so an unsupported or partial cell counts
        // with its numbers; a failed cell (an oops, a broken invariant) has none to count.
        if (!cell || cell.status === "error" || cell.status === "failed") return undefined;
        const m = cell.metrics;
        return {
          refused: m["compat.unsupported_maps"] ?? 0,
          broken: m["compat.broken_accesses"] ?? 0,
          faults: m["compat.false_faults"] ?? 0,
        };
      };
      const vmap = failures("vmap-alias");
      const pks = failures("pks-kmap");
      if (!vmap) return undecidable(notOk(results, w, "vmap-alias"));
      if (!pks) return undecidable(notOk(results, w, "pks-kmap"));
      const line = (name: string, f: NonNullable<typeof vmap>) =>
        `${name} (${results.cell(w, name)?.status}): ${num(f.refused)} maps refused, ${num(f.broken)} broken accesses, ${num(f.faults)} false faults`;
      const total = (f: NonNullable<typeof vmap>) => f.refused + f.broken + f.faults;
      const better = below(total(vmap), total(pks));
      return {
        verdict: better === "tie" ? "tie" : better ? "supported" : "refuted",
        evidence: [line("vmap-alias", vmap), line("pks-kmap", pks)],
      };
    },
  },
  {
    id: "no-direct-map-slow",
    quote:
      "Or, he said, the kernel could just eliminate the direct map entirely and always require memory to be mapped explicitly, but that approach probably would not perform well.",
    speaker: "Ira Weiny",
    source: LWN,
    predicate:
      "no-direct-map has the highest cycles/op of the four protected candidates (pks-kmap, vmap-alias, no-direct-map, kmap-local-range; those that serve every map) on more than half of the workloads that decide it (a tie for the top decides nothing and is reported as a tie; a workload where no-direct-map is identical to that rival by construction is no evidence; exactly half is a tie)",
    setup: "the candidates discussed in the session, on every workload",
    workloads: "all",
    strategies: [...PROTECTED_STRATEGIES],
    decide(results) {
      const most: string[] = [];
      const not: string[] = [];
      const ties: string[] = [];
      const construction: string[] = [];
      const skipped: string[] = [];
      for (const workload of results.workloads) {
        const own = okCell(results, workload, "no-direct-map");
        if (!own) {
          skipped.push(notOk(results, workload, "no-direct-map"));
          continue;
        }
        const rivals = PROTECTED_STRATEGIES.filter((s) => s !== "no-direct-map")
          .map((s): readonly [string, ClaimCell | undefined] => [s, okCell(results, workload, s)])
          .filter((entry): entry is readonly [string, ClaimCell] => entry[1] !== undefined);
        if (rivals.length === 0) {
          skipped.push(`${workload}: no rival served every map`);
          continue;
        }
        const mine = own.metrics[CPO];
        const top = rivals.reduce((best, item) =>
          item[1].metrics[CPO] > best[1].metrics[CPO] ? item : best,
        );
        const topCost = top[1].metrics[CPO];
        const twin = rivals.find(([, cell]) => identicalCells(cell, own));
        if (twin && twin[1].metrics[CPO] >= topCost) {
          construction.push(`${workload} (= ${twin[0]} ${num(mine)})`);
        } else if (mine > topCost) most.push(`${workload} (${num(mine)} vs next ${num(topCost)})`);
        else if (mine === topCost) ties.push(`${workload} (${num(mine)} = ${top[0]})`);
        else not.push(`${workload} (${num(mine)} vs ${top[0]} ${num(topCost)})`);
      }
      // A tie for the top is neither "the highest" nor "not the highest": it is left out
      // of the count and reported; only ties everywhere make the verdict a tie.
      const total = most.length + not.length;
      const evidence = [
        `most expensive on ${most.length} of ${total} deciding workloads: ${most.join(", ") || "none"}`,
        `not on: ${not.join(", ") || "none"}`,
        ...(ties.length > 0 ? [`tied for most expensive on: ${ties.join(", ")}`] : []),
        ...(construction.length > 0
          ? [`identical to a rival by construction (no evidence): ${construction.join(", ")}`]
          : []),
        ...skipped.map((why) => `not counted: ${why}`),
      ];
      if (total === 0) return { verdict: ties.length > 0 ? "tie" : "not decidable", evidence };
      const verdict: Verdict =
        most.length * 2 > total ? "supported" : most.length * 2 === total ? "tie" : "refuted";
      return { verdict, evidence };
    },
  },
  {
    id: "kmap-local-range-btrfs",
    quote:
      "Some sort of kmap_local_range() function would be useful. Bacik agreed, saying that Btrfs often has to map 16KB metadata blocks.",
    speaker: "Matthew Wilcox, Josef Bacik",
    source: LWN,
    predicate:
      "mapping a 16 KB btrfs metadata block with one kmap_local_range() call is cheaper than page by page: on btrfs-metadata, kmap-local-range costs fewer cycles/op than pks-kmap",
    setup:
      "btrfs-metadata at the default nodesize, 16 KiB = 4 pages per extent buffer (the 16KB blocks Bacik names)",
    workloads: ["btrfs-metadata"],
    strategies: ["kmap-local-range", "pks-kmap"],
    decide(results) {
      const w = "btrfs-metadata";
      const pair = okPair(results, w, "kmap-local-range", "pks-kmap");
      if ("verdict" in pair) return pair;
      const [range, pks] = pair;
      if (identicalCells(range, pks)) {
        return undecidable(
          "kmap-local-range and pks-kmap are identical here (tie by construction: single-page maps)",
        );
      }
      const cheaper = below(range.metrics[CPO], pks.metrics[CPO]);
      return {
        verdict: cheaper === "tie" ? "tie" : cheaper ? "supported" : "refuted",
        evidence: [
          `cycles/op: kmap-local-range ${num(range.metrics[CPO])}, pks-kmap ${num(pks.metrics[CPO])}`,
          `PKRS writes (context, not tested): kmap-local-range ${num(range.metrics["events.pkrs_writes"])}, pks-kmap ${num(pks.metrics["events.pkrs_writes"])}`,
        ],
      };
    },
  },
  {
    id: "pks-btrfs-debug",
    quote:
      "Chris Mason said that Btrfs developers have a debugging patch that makes pages read-only so that they can look at the resulting crashes and see who is modifying pages when they shouldn't be. PKS would be a useful way to implement this functionality.",
    speaker: "Chris Mason",
    source: LWN,
    predicate:
      "PKS can implement the read-only debugging: on btrfs-debug-ro, PKS through kmap (pks-kmap) catches illegal modifications of the metadata pages (coverage.caught > 0), as the read-only patch (the set-memory-ro example plugin) does",
    setup:
      "btrfs metadata pages protected between legitimate writes, with stray writes injected (btrfs-debug-ro)",
    workloads: ["btrfs-debug-ro"],
    strategies: ["pks-kmap", "set-memory-ro"],
    decide(results) {
      const w = "btrfs-debug-ro";
      const pks = okCell(results, w, "pks-kmap");
      if (!pks) return undecidable(notOk(results, w, "pks-kmap"));
      const ro = okCell(results, w, "set-memory-ro");
      const caught = pks.metrics["coverage.caught"];
      const evidence = [
        `pks-kmap: ${num(caught)} illegal writes caught (${num(pks.metrics[CPO])} cycles/op)`,
        ro
          ? `set-memory-ro, for comparison (not tested): ${num(ro.metrics["coverage.caught"])} caught, ${num(ro.metrics[CPO])} cycles/op`
          : `set-memory-ro: ${notOk(results, w, "set-memory-ro")}`,
      ];
      return { verdict: caught > 0 ? "supported" : "refuted", evidence };
    },
  },
  {
    id: "pks-local-cpu",
    quote: "The permissions set by PKS apply only on the local CPU",
    speaker: "Ira Weiny",
    source: LWN,
    predicate:
      "on cross-cpu-handoff, a key lifted by pks-kmap on one CPU does not open the page on another: pks-kmap takes false faults (legitimate accesses on another CPU than the one that lifted the key)",
    setup:
      "a page mapped with kmap() on one CPU and used on another (cross-cpu-handoff, global scope)",
    workloads: ["cross-cpu-handoff"],
    strategies: ["pks-kmap"],
    decide(results) {
      const w = "cross-cpu-handoff";
      const cell = results.cell(w, "pks-kmap");
      // A false fault is what is counted; a partial cell still counts it, a failed one not.
      if (!cell || cell.status === "error" || cell.status === "failed") {
        return undecidable(notOk(results, w, "pks-kmap"));
      }
      const faults = cell.metrics["compat.false_faults"] ?? 0;
      return {
        verdict: faults > 0 ? "supported" : "refuted",
        evidence: [`false faults: pks-kmap ${num(faults)} (cell ${cell.status})`],
      };
    },
  },
];
