/**
 * The claims made at LSFMM 2022 (LWN 894531, ../shared/reference/lwn-lsfmm-2022-pks-api.txt)
 * as predicates over comparison results. Each claim names the quote it tests, the
 * workloads and strategies it needs, and a `decide` function that returns supported,
 * refuted or not decidable with the numbers that decided it.
 */

import type { RunStatus } from "../../core/engine.ts";
export type Verdict = "supported" | "refuted" | "not decidable";

/** One (workload, strategy) cell as a claim sees it: seed-mean metrics. */
export interface ClaimCell {
  readonly status: RunStatus;
  readonly reason?: string;
  readonly metrics: Readonly<Record<string, number>>;
}

/** What a claim's predicate can read. */
export interface ClaimResults {
  /** The workloads that were run, in order. */
  readonly workloads: readonly string[];
  cell(workload: string, strategy: string): ClaimCell | undefined;
  /** Shootdowns the strategy's one-off region setup issues on this workload (boot time). */
  setupShootdowns(workload: string, strategy: string): number;
}

export interface ClaimDecision {
  readonly verdict: Verdict;
  /** The numbers that decided it, one line each. */
  readonly evidence: readonly string[];
}

export interface Claim {
  readonly id: string;
  /** The sentence of the LWN report it tests. */
  readonly quote: string;
  readonly speaker: string;
  readonly source: string;
  /** The checkable predicate, in words. */
  readonly predicate: string;
  /** Workloads it reads ("all" = every claims workload) and strategies it reads. */
  readonly workloads: readonly string[] | "all";
  readonly strategies: readonly string[];
  decide(results: ClaimResults): ClaimDecision;
}

const LWN =
  'LWN 894531, "Seeking an API for protection keys supervisor", Jonathan Corbet, 2022-05-11';

/** The ten built-in workloads of the comparison (trace replays are not part of the claims). */
export const CLAIM_WORKLOADS = [
  "pmem-dax",
  "pagetable-protect",
  "btrfs-metadata",
  "btrfs-debug-ro",
  "pagecache-io",
  "long-term-map",
  "cross-cpu-handoff",
  "preempt-migrate",
  "xpfo-churn",
  "vmap-churn",
] as const;

/** The four candidate protected strategies discussed at LSFMM. */
export const PROTECTED_STRATEGIES = [
  "pks-kmap",
  "vmap-alias",
  "no-direct-map",
  "kmap-local-range",
] as const;

/** Compact number for evidence lines. */
export function num(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e7 || abs < 0.01)) return value.toExponential(2);
  return value.toLocaleString("en-US", { maximumFractionDigits: abs >= 100 ? 0 : 2 });
}

const CPO = "cost.cycles_per_op";

/** The metric of a cell, or undefined when the cell is missing or did not run. */
function metric(results: ClaimResults, workload: string, strategy: string, name: string) {
  const cell = results.cell(workload, strategy);
  if (!cell || cell.status === "failed") return undefined;
  return cell.metrics[name];
}

function okCell(results: ClaimResults, workload: string, strategy: string): ClaimCell | undefined {
  const cell = results.cell(workload, strategy);
  return cell && cell.status === "ok" && (cell.metrics["compat.unsupported_maps"] ?? 0) === 0
    ? cell
    : undefined;
}

const undecidable = (why: string): ClaimDecision => ({ verdict: "not decidable", evidence: [why] });

/** Cost categories that only a protection scheme charges (a plain direct-map access charges none). */
export const PROTECTION_CATEGORIES = [
  "pkrs_write",
  "pte_write",
  "invlpg",
  "tlb_flush",
  "ipi_send",
  "ipi_wait",
  "ipi_handle",
  "pt_alloc",
  "fault",
  "vmap_alloc",
  "kmap_slot",
  "strategy",
] as const;

export const LSFMM_CLAIMS: readonly Claim[] = [
  {
    id: "pks-no-flush",
    quote:
      "The permissions set by PKS apply only on the local CPU; that means that they can changed quickly, with no need for expensive translation lookaside buffer (TLB) flushes.",
    speaker: "Ira Weiny",
    source: LWN,
    predicate:
      "pks-kmap issues no TLB shootdown beyond its one-off region setup on any workload whose permission changes go through kmap (xpfo-churn re-keys pages, a PTE change, and is reported apart), and costs fewer cycles/op than vmap-alias wherever both serve every map",
    workloads: "all",
    strategies: ["pks-kmap", "vmap-alias"],
    decide(results) {
      const evidence: string[] = [];
      let flushes = 0;
      let cheaper = 0;
      let dearer = 0;
      const dearerOn: string[] = [];
      for (const workload of results.workloads) {
        const total = metric(results, workload, "pks-kmap", "events.shootdowns");
        if (total === undefined) return undecidable(`pks-kmap did not run on ${workload}`);
        const extra = total - results.setupShootdowns(workload, "pks-kmap");
        if (workload === "xpfo-churn") {
          evidence.push(
            `xpfo-churn (page re-keying, not a kmap permission change): ${num(extra)} shootdowns beyond setup`,
          );
        } else if (extra > 0) {
          flushes++;
          evidence.push(`${workload}: pks-kmap issued ${num(extra)} shootdowns beyond setup`);
        }
        const pks = okCell(results, workload, "pks-kmap");
        const vmap = okCell(results, workload, "vmap-alias");
        if (!pks || !vmap) continue;
        const a = pks.metrics[CPO];
        const b = vmap.metrics[CPO];
        if (a < b) cheaper++;
        else {
          dearer++;
          dearerOn.push(`${workload} ${num(a)} vs ${num(b)}`);
        }
      }
      evidence.push(
        flushes === 0
          ? "no kmap-path shootdowns on any workload"
          : `${flushes} workload(s) with kmap-path shootdowns`,
      );
      evidence.push(
        `cycles/op pks-kmap < vmap-alias on ${cheaper} of ${cheaper + dearer} comparable workloads` +
          (dearerOn.length > 0 ? `; not on ${dearerOn.join(", ")}` : ""),
      );
      if (cheaper + dearer === 0) return undecidable("no workload where both serve every map");
      return { verdict: flushes === 0 && dearer === 0 ? "supported" : "refuted", evidence };
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
    workloads: "all",
    strategies: ["unprotected"],
    decide(results) {
      const evidence: string[] = [];
      let worst = 0;
      for (const workload of results.workloads) {
        const cell = results.cell(workload, "unprotected");
        if (cell?.status !== "ok") return undecidable(`unprotected did not run on ${workload}`);
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
      "on pmem-dax, a strategy that lifts the key in page_address() but has no unmap hook (page-address) leaves the region exposed about as long as no protection at all (exposure ≥ 90% of unprotected's, at least 5× pks-kmap's) and catches fewer stray writes than pks-kmap (coverage lost)",
    workloads: ["pmem-dax"],
    strategies: ["page-address", "pks-kmap", "unprotected"],
    decide(results) {
      const w = "pmem-dax";
      const lifted = results.cell(w, "page-address");
      const pks = results.cell(w, "pks-kmap");
      const none = results.cell(w, "unprotected");
      if (!lifted || !pks || !none || [lifted, pks, none].some((c) => c.status !== "ok")) {
        return undecidable("a pmem-dax cell did not run");
      }
      const exposure = lifted.metrics["exposure.page_cycles"];
      const base = none.metrics["exposure.page_cycles"];
      const bounded = pks.metrics["exposure.page_cycles"];
      const caught = lifted.metrics["coverage.caught"];
      const pksCaught = pks.metrics["coverage.caught"];
      const evidence = [
        `exposure page-cycles: page-address ${num(exposure)}, unprotected ${num(base)} (${num((100 * exposure) / base)}%), pks-kmap ${num(bounded)}`,
        `stray writes caught: page-address ${num(caught)}, pks-kmap ${num(pksCaught)}`,
      ];
      const holds = exposure >= 0.9 * base && exposure >= 5 * bounded && caught < pksCaught;
      return { verdict: holds ? "supported" : "refuted", evidence };
    },
  },
  {
    id: "vmap-long-term",
    quote:
      "Weiny said that could make long-term mappings, for which kmap() is not intended, work better.",
    speaker: "Ira Weiny",
    source: LWN,
    predicate:
      "on long-term-map, vmap-alias serves every map with no false fault or broken access, while pks-kmap and kmap-local-range each refuse maps or break accesses",
    workloads: ["long-term-map"],
    strategies: ["vmap-alias", "pks-kmap", "kmap-local-range"],
    decide(results) {
      const w = "long-term-map";
      const failures = (strategy: string) => {
        const cell = results.cell(w, strategy);
        if (!cell || cell.status === "failed") return undefined;
        const m = cell.metrics;
        return {
          refused: m["compat.unsupported_maps"] ?? 0,
          broken: m["compat.broken_accesses"] ?? 0,
          faults: m["compat.false_faults"] ?? 0,
        };
      };
      const vmap = failures("vmap-alias");
      const pks = failures("pks-kmap");
      const range = failures("kmap-local-range");
      if (!vmap || !pks || !range) return undecidable("a long-term-map cell did not run");
      const line = (name: string, f: NonNullable<typeof vmap>) =>
        `${name}: ${num(f.refused)} maps refused, ${num(f.broken)} broken accesses, ${num(f.faults)} false faults`;
      const vmapOk = vmap.refused === 0 && vmap.broken === 0 && vmap.faults === 0;
      const fails = (f: NonNullable<typeof vmap>) => f.refused > 0 || f.broken > 0;
      return {
        verdict: vmapOk && fails(pks) && fails(range) ? "supported" : "refuted",
        evidence: [
          line("vmap-alias", vmap),
          line("pks-kmap", pks),
          line("kmap-local-range", range),
        ],
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
      "no-direct-map has the highest cycles/op of the four protected candidates (pks-kmap, vmap-alias, no-direct-map, kmap-local-range; those that serve every map) on more than half of the workloads",
    workloads: "all",
    strategies: [...PROTECTED_STRATEGIES],
    decide(results) {
      const most: string[] = [];
      const not: string[] = [];
      for (const workload of results.workloads) {
        const costs = PROTECTED_STRATEGIES.map((s) => [s, okCell(results, workload, s)] as const)
          .filter(([, cell]) => cell !== undefined)
          .map(([s, cell]) => [s, cell!.metrics[CPO]] as const);
        const own = costs.find(([s]) => s === "no-direct-map");
        if (!own) continue;
        const rivals = costs.filter(([s]) => s !== "no-direct-map");
        const top = rivals.reduce((best, item) => (item[1] > best[1] ? item : best), rivals[0]);
        if (!top || own[1] > top[1])
          most.push(`${workload} (${num(own[1])} vs next ${top ? num(top[1]) : "-"})`);
        else not.push(`${workload} (${num(own[1])} vs ${top[0]} ${num(top[1])})`);
      }
      const total = most.length + not.length;
      if (total === 0) return undecidable("no workload where no-direct-map serves every map");
      return {
        verdict: most.length * 2 > total ? "supported" : "refuted",
        evidence: [
          `most expensive on ${most.length} of ${total} workloads: ${most.join(", ") || "none"}`,
          `not on: ${not.join(", ") || "none"}`,
        ],
      };
    },
  },
  {
    id: "kmap-local-range-btrfs",
    quote:
      "Some sort of kmap_local_range() function would be useful. Bacik agreed, saying that Btrfs often has to map 16KB metadata blocks.",
    speaker: "Matthew Wilcox, Josef Bacik",
    source: LWN,
    predicate:
      "on btrfs-metadata, kmap-local-range executes fewer PKRS writes and fewer cycles/op than pks-kmap",
    workloads: ["btrfs-metadata"],
    strategies: ["kmap-local-range", "pks-kmap"],
    decide(results) {
      const w = "btrfs-metadata";
      const range = okCell(results, w, "kmap-local-range");
      const pks = okCell(results, w, "pks-kmap");
      if (!range || !pks) return undecidable("a btrfs-metadata cell did not serve every map");
      const rw = range.metrics["events.pkrs_writes"];
      const pw = pks.metrics["events.pkrs_writes"];
      const rc = range.metrics[CPO];
      const pc = pks.metrics[CPO];
      return {
        verdict: rw < pw && rc < pc ? "supported" : "refuted",
        evidence: [
          `PKRS writes: kmap-local-range ${num(rw)}, pks-kmap ${num(pw)}`,
          `cycles/op: kmap-local-range ${num(rc)}, pks-kmap ${num(pc)}`,
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
      "on btrfs-debug-ro, each PKS strategy (pks-kmap, kmap-local-range) catches illegal modifications (coverage.caught > 0) at fewer cycles/op than page-table toggling (the set-memory-ro example plugin)",
    workloads: ["btrfs-debug-ro"],
    strategies: ["pks-kmap", "kmap-local-range", "set-memory-ro"],
    decide(results) {
      const w = "btrfs-debug-ro";
      const ro = okCell(results, w, "set-memory-ro");
      if (!ro) return undecidable("set-memory-ro did not run on btrfs-debug-ro");
      const evidence = [
        `set-memory-ro: ${num(ro.metrics[CPO])} cycles/op, ${num(ro.metrics["coverage.caught"])} caught`,
      ];
      let holds = true;
      for (const strategy of ["pks-kmap", "kmap-local-range"]) {
        const cell = okCell(results, w, strategy);
        if (!cell) return undecidable(`${strategy} did not serve every map on btrfs-debug-ro`);
        const caught = cell.metrics["coverage.caught"];
        const cost = cell.metrics[CPO];
        evidence.push(`${strategy}: ${num(cost)} cycles/op, ${num(caught)} caught`);
        if (!(caught > 0 && cost < ro.metrics[CPO])) holds = false;
      }
      return { verdict: holds ? "supported" : "refuted", evidence };
    },
  },
  {
    id: "pks-local-cpu",
    quote: "The permissions set by PKS apply only on the local CPU",
    speaker: "Ira Weiny",
    source: LWN,
    predicate:
      "on cross-cpu-handoff, pks-kmap takes false faults (a legitimate access on another CPU than the one that lifted the key) and vmap-alias takes none",
    workloads: ["cross-cpu-handoff"],
    strategies: ["pks-kmap", "vmap-alias"],
    decide(results) {
      const w = "cross-cpu-handoff";
      const pks = metric(results, w, "pks-kmap", "compat.false_faults");
      const vmap = metric(results, w, "vmap-alias", "compat.false_faults");
      if (pks === undefined || vmap === undefined)
        return undecidable("a cross-cpu-handoff cell did not run");
      return {
        verdict: pks > 0 && vmap === 0 ? "supported" : "refuted",
        evidence: [`false faults: pks-kmap ${num(pks)}, vmap-alias ${num(vmap)}`],
      };
    },
  },
];
