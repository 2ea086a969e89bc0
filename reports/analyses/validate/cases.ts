/**
 * The validation registry: published end-to-end and primitive results
 * (../shared/reference/cost-references.md) with the pkslab configuration that reproduces
 * each experiment's shape, the model quantity compared, and a tolerance with its reason.
 *
 * Whether a case is *fitted* or *independent* is not declared here: it is read from the
 * cost profile, whose fitted parameters name the case(s) they were fitted to (`fittedTo`).
 */
import type { CostProfile } from "../../../core/profile.ts";
import {
  latencyCyclesPerOp,
  type ProbeRun,
  probe,
  rangeFlushCycles,
  systemCycles,
} from "./model.ts";

/** A published result, as cost-references.md gives it. */
export interface PublishedResult {
  /** Row of cost-references.md (E1, P19, ...). */
  readonly reference: string;
  readonly value: number;
  readonly unit: string;
  readonly conditions: string;
  readonly citation: string;
}

export interface ValidationCase {
  readonly id: string;
  readonly title: string;
  readonly published: PublishedResult;
  /** Built-in cost profile the case runs on. */
  readonly profile: string;
  /** The pkslab configuration that reproduces the experiment's shape. */
  readonly configuration: string;
  /** The model quantity compared with the published value. */
  readonly metric: string;
  /** Relative tolerance: passes when |model / published − 1| ≤ tolerance. */
  readonly tolerance: number;
  readonly toleranceWhy: string;
  /**
   * The earlier case(s) whose numbers this case reuses (its published value is computed
   * from theirs, or its model quantity is theirs), and how: such a case is a repeat, not an
   * extra independent pass (each published quantity counts once).
   */
  readonly reuses?: { readonly cases: readonly string[]; readonly what: string };
  /** Runs the model and returns the quantity in the published unit. */
  measure(profile: CostProfile): number;
  /**
   * Set when the case mostly checks the model's inputs (unverified placeholders) rather
   * than predicting: the reason. Its role is then "input check" (unless fitted).
   */
  readonly inputCheck?: string;
  /**
   * Set when the model is known to miss this result and why: the case is reported as
   * failed, but it does not make `pkslab validate` exit 1 (nothing was re-fitted to it).
   */
  readonly knownMiss?: string;
}

// ---------------------------------------------------------------------------------------
// XPFO kernel build (E1–E4).

/**
 * Kernel work per user-page lifetime in the xpfo-churn stream (the baseline's system time
 * per page, the ratio's denominator). The published pair fixes the shape of the eager
 * ratio, r(N) − 1 = (a + c·(N − 1)) / K: the 4-core and 96-core points give a/K = 0.84 and
 * c/K = 0.26. The fixed part a is the model's own per-page flush cost (ipi_send_base_cycles,
 * fitted to P19, plus INVLPG, PTE writes and the wait for the acknowledgement), so the pair
 * determines K together with the per-target cost c. Both were fitted together
 * (reports/analyses/validate/fit.ts); K is recorded here, the per-target cost in the profile.
 */
export const XPFO_KERNEL_CYCLES = 5658;
/** Page lifetimes per thread: enough to amortise the 2 MiB splits of the churned pages. */
const XPFO_ALLOCATIONS = 40;
const XPFO_PAGES = 4096;

const XPFO_CITATION_V7 =
  'Khalid Aziz, "[RFC PATCH v7 00/16] Add support for eXclusive Page Frame Ownership", 2019-01-10, https://lkml.kernel.org/r/cover.1547153058.git.khalid.aziz@oracle.com (cost-references.md E1/E2, XPFO-V7)';
const XPFO_CITATION_V8 =
  "Khalid Aziz, XPFO RFC v8, 2019-02-13, cover.1550088114.git.khalid.aziz@oracle.com (cost-references.md E3, XPFO-V8)";

const XPFO_CITATION_V9 =
  'Khalid Aziz, "[RFC PATCH v9 00/13]", 2019-04-03, https://lore.kernel.org/lkml/cover.1554248001.git.khalid.aziz@oracle.com/ (constructed) (cost-references.md E4, XPFO-V9)';

function xpfoRun(
  cpus: number,
  strategy: "unprotected" | "no-direct-map",
  deferred: boolean,
  kernelCycles: number,
) {
  const run: ProbeRun = {
    cpus,
    workload: "xpfo-churn",
    params: {
      allocations: XPFO_ALLOCATIONS,
      pages: XPFO_PAGES,
      kernel_cycles: kernelCycles,
      flush: deferred ? "batched" : "eager",
    },
    strategy,
    options: strategy === "no-direct-map" ? { flush: deferred ? "deferred" : "immediate" } : {},
  };
  return run;
}

/** System-time ratio of XPFO (no-direct-map) to the baseline on the same stream. */
export function xpfoRatio(
  profile: CostProfile,
  cpus: number,
  deferred: boolean,
  kernelCycles = XPFO_KERNEL_CYCLES,
): number {
  const xpfo = systemCycles(probe(profile, xpfoRun(cpus, "no-direct-map", deferred, kernelCycles)));
  const base = systemCycles(probe(profile, xpfoRun(cpus, "unprotected", deferred, kernelCycles)));
  return xpfo / base;
}

const XPFO_CONFIG = (cpus: number, deferred: boolean) =>
  `xpfo-churn flush=${deferred ? "batched" : "eager"} allocations=${XPFO_ALLOCATIONS}/thread pages=${XPFO_PAGES} kernel_cycles=${XPFO_KERNEL_CYCLES}, one thread per CPU, --cpus ${cpus}; no-direct-map flush=${deferred ? "deferred" : "immediate"} vs unprotected; server-2022`;
const XPFO_METRIC =
  "system-time ratio: steady-state cost.total_cycles of no-direct-map / same of unprotected";

const xpfoCases: ValidationCase[] = [
  {
    id: "xpfo-eager-4cpu",
    title: "XPFO, flush on every allocation, 4-core desktop",
    published: {
      reference: "E2",
      value: 2.614,
      unit: "x",
      conditions:
        'i5-3550 @3.3 GHz, 4 cores, "make -j4", kernel 4.20: 607.671 s -> 1588.646 s system time',
      citation: XPFO_CITATION_V7,
    },
    profile: "server-2022",
    configuration: XPFO_CONFIG(4, false),
    metric: XPFO_METRIC,
    tolerance: 0.1,
    toleranceWhy:
      "fitted point; 10% leaves room for the seed and the 2 MiB split warm-up while still pinning the shootdown model",
    measure: (profile) => xpfoRatio(profile, 4, false),
    knownMiss:
      "the shootdown parameters were fitted while an IPI's acknowledgement waited for the target's simulated clock to catch up; since the acknowledgement waits only for the handler (issue 17), 4 CPUs wait less (2.59x -> 2.18x); not re-fitted",
  },
  {
    id: "xpfo-eager-96cpu",
    title: "XPFO, flush on every allocation, 96-core server",
    published: {
      reference: "E1",
      value: 26.366,
      unit: "x",
      conditions:
        'Xeon Platinum 8160 @2.1 GHz, 96 cores, "make -j60", kernel 4.20: 915.183 s -> 24129.354 s system time',
      citation: XPFO_CITATION_V7,
    },
    profile: "server-2022",
    configuration: XPFO_CONFIG(96, false),
    metric: XPFO_METRIC,
    tolerance: 0.1,
    toleranceWhy:
      "fitted point; v7 and v8 reran it at 26.37x, so 10% is the model's own slack, not the data's",
    measure: (profile) => xpfoRatio(profile, 96, false),
  },
  {
    id: "xpfo-deferred-batched-4cpu",
    title: "XPFO with deferred flush and batched update, 4-core desktop",
    published: {
      reference: "E3",
      value: 1.31,
      unit: "x",
      conditions:
        "i5-3550, make -j4, 4.20 + XPFO v8 deferred flush + batch update: 607.671 s -> 795.728 s",
      citation: XPFO_CITATION_V8,
    },
    profile: "server-2022",
    configuration: XPFO_CONFIG(4, true),
    metric: XPFO_METRIC,
    tolerance: 0.2,
    toleranceWhy:
      "published deferred variants span 1.27-1.44x (v7-v9); the stream has no context switches, so the deferred flushes' TLB refills and XPFO bookkeeping are missing and the model can only be low",
    measure: (profile) => xpfoRatio(profile, 4, true),
  },
  {
    id: "xpfo-deferred-batched-96cpu",
    title: "XPFO with deferred flush and batched update, 96-core server",
    published: {
      reference: "E3",
      value: 1.32,
      unit: "x",
      conditions:
        "Xeon Platinum 8160, make -j60, 4.20 + XPFO v8 deferred flush + batch update: 950.966 s -> 1255.021 s",
      citation: XPFO_CITATION_V8,
    },
    profile: "server-2022",
    configuration: XPFO_CONFIG(96, true),
    metric: XPFO_METRIC,
    tolerance: 0.2,
    toleranceWhy:
      "as for 4 CPUs: 1.27-1.44x across versions, and the model omits the refill cost of deferred flushes",
    measure: (profile) => xpfoRatio(profile, 96, true),
  },
  {
    id: "xpfo-v9-4cpu",
    title: "XPFO v9 (final posted series), 4-core desktop",
    published: {
      reference: "E4",
      value: 1.27,
      unit: "x",
      conditions: "i5-3550, make -j4, kernel 5.0: 610.642 s -> 773.075 s system time",
      citation: XPFO_CITATION_V9,
    },
    profile: "server-2022",
    configuration: XPFO_CONFIG(4, true),
    metric: XPFO_METRIC,
    tolerance: 0.2,
    toleranceWhy:
      "v9 keeps deferred flushing and batched updates (plus optimizations the model does not have); same omission as the E3 rows",
    reuses: {
      cases: ["xpfo-deferred-batched-4cpu"],
      what: "the same model quantity (same configuration), checked against the later v9 measurement",
    },
    measure: (profile) => xpfoRatio(profile, 4, true),
  },
  {
    id: "xpfo-v9-96cpu",
    title: "XPFO v9 (final posted series), 96-core server",
    published: {
      reference: "E4",
      value: 1.28,
      unit: "x",
      conditions: "Xeon Platinum 8160, make -j60, kernel 5.0: 913.862 s -> 1165.259 s system time",
      citation: XPFO_CITATION_V9,
    },
    profile: "server-2022",
    configuration: XPFO_CONFIG(96, true),
    metric: XPFO_METRIC,
    tolerance: 0.2,
    toleranceWhy:
      "as for 4 CPUs; the same model quantity as the E3 96-core row, checked against the later measurement",
    reuses: {
      cases: ["xpfo-deferred-batched-96cpu"],
      what: "the same model quantity (same configuration), checked against the later v9 measurement",
    },
    measure: (profile) => xpfoRatio(profile, 96, true),
  },
  {
    id: "xpfo-deferred-scaling",
    title: "XPFO deferred+batched: no growth with CPU count (96-core ratio / 4-core ratio)",
    published: {
      reference: "E3",
      value: 1.32 / 1.31,
      unit: "x",
      conditions: "E3 rows: 1.32x (96 cores) over 1.31x (4 cores)",
      citation: XPFO_CITATION_V8,
    },
    profile: "server-2022",
    configuration: `${XPFO_CONFIG(96, true)}; and the same on --cpus 4`,
    metric: "deferred ratio at 96 CPUs / deferred ratio at 4 CPUs",
    tolerance: 0.1,
    toleranceWhy:
      "the signature of deferral is that the 26x growth disappears; 10% separates 'flat' from any per-CPU term",
    reuses: {
      cases: ["xpfo-deferred-batched-4cpu", "xpfo-deferred-batched-96cpu"],
      what: "published value and model quantity are the quotient of those two cases' numbers",
    },
    measure: (profile) => xpfoRatio(profile, 96, true) / xpfoRatio(profile, 4, true),
  },
];

// ---------------------------------------------------------------------------------------
// Range flush costs (P19).

const HANSEN14 =
  'Dave Hansen, "[RFC][PATCH 6/6] x86: mm: set TLB flush tunable to sane value", 2014-02-18, Message-Id 20140218193017.ECDF1089@viggo.jf.intel.com (cost-references.md P19, HANSEN14)';
const P19_CONDITIONS =
  "flush_tlb_mm_range() average during a kernel compile, 2014, CPU not stated, includes tracing overhead";

function flushCase(
  id: string,
  pages: number,
  value: number,
  tolerance: number,
  why: string,
): ValidationCase {
  const full = pages > 33;
  return {
    id,
    title: full ? "Full TLB flush" : `Range flush of ${pages} page${pages === 1 ? "" : "s"}`,
    published: {
      reference: "P19",
      value,
      unit: "cycles",
      conditions: P19_CONDITIONS,
      citation: HANSEN14,
    },
    profile: "server-2022",
    configuration: `core Machine, --cpus 1 (an mm live on one CPU): flushTlbKernelRange(${full ? "34+ pages: full flush" : `${pages} page${pages === 1 ? "" : "s"}`})`,
    metric: "cycles charged to the initiating CPU",
    tolerance,
    toleranceWhy: why,
    measure: (profile) => rangeFlushCycles(profile, full ? 34 : pages),
  };
}

const flushCases: ValidationCase[] = [
  flushCase(
    "p19-flush-1page",
    1,
    1276,
    0.05,
    "fitted point (fixed cost of a flush call); 5% is rounding",
  ),
  flushCase(
    "p19-flush-2pages",
    2,
    1505,
    0.1,
    "tests the marginal INVLPG cost (P14/P15, measured separately in 2015); 10% for averages with tracing",
  ),
  flushCase(
    "p19-flush-33pages",
    33,
    8534,
    0.1,
    "32 more INVLPGs at the P14/P15 cost; 10% for averages with tracing",
  ),
  flushCase(
    "p19-flush-full",
    34,
    2283,
    0.2,
    "the model's full flush excludes refill, which INGO15 says the bench misses and a compile's average includes",
  ),
];

// ---------------------------------------------------------------------------------------
// vmap allocator rewrite (E8), on its own 2008 Opteron profile.

const PIGGIN08 =
  'Nick Piggin, "Re: [patch] mm: rewrite vmap layer", linux-mm, 2008-08-19, Message-ID 20080819100208.GC10447@wotan.suse.de (cost-references.md E8/P33, PIGGIN08)';
const E8_CONDITIONS = (threads: number) =>
  `4 core, 2 socket Opteron (2008), ${threads} thread${threads === 1 ? "" : "s"} in parallel, ns per map+touch+unmap of 4 pages`;
const E8_LOOPS = 100;

export type E8Config = "eager-global" | "lazy-per-cpu";

/** Piggin's loop: map 4 pages, touch them, unmap; wall time per operation per thread. */
export function e8LatencyNs(profile: CostProfile, config: E8Config, threads: number): number {
  const eager = config === "eager-global";
  const run: ProbeRun = {
    cpus: 8,
    workload: "vmap-churn",
    params: { threads, pages: 4, touch: "all", scope: eager ? "long-term" : "local" },
    strategy: "vmap-alias",
    options: eager
      ? { flush: "eager", allocator: "global-lock" }
      : { flush: "lazy", allocator: "per-cpu-nodes" },
  };
  const cycles = latencyCyclesPerOp(profile, run, "loops", E8_LOOPS, threads);
  return cycles / profile.parameters.clock_ghz.value;
}

function e8Case(config: E8Config, threads: number, value: number): ValidationCase {
  const eager = config === "eager-global";
  return {
    id: `e8-${config}-${threads}thread${threads === 1 ? "" : "s"}`,
    title: `vmap ${eager ? "before the rewrite (eager flush, global lock)" : "after the rewrite (lazy purge, per-CPU blocks)"}, ${threads} thread${threads === 1 ? "" : "s"}`,
    published: {
      reference: "E8",
      value,
      unit: "ns/op",
      conditions: E8_CONDITIONS(threads),
      citation: PIGGIN08,
    },
    profile: "opteron-2008",
    configuration: eager
      ? `vmap-churn pages=4 touch=all scope=long-term threads=${threads} (loops ${E8_LOOPS} and ${2 * E8_LOOPS}), --cpus 8; vmap-alias flush=eager allocator=global-lock; opteron-2008`
      : `vmap-churn pages=4 touch=all scope=local (vm_map_ram) threads=${threads} (loops ${E8_LOOPS} and ${2 * E8_LOOPS}), --cpus 8; vmap-alias flush=lazy allocator=per-cpu-nodes; opteron-2008`,
    metric:
      "wall ns per op per thread: Δrun.simulated_cycles × threads / Δrun.operations / clock_ghz",
    tolerance: 0.25,
    toleranceWhy: eager
      ? "the model's latency grows linearly with threads, the published curve is concave (2008 smp_call_function() serialised IPI senders, not modelled): the best line misses each point by up to 19%"
      : "one unrepeated run per point on one 2008 machine; flatness is the prediction under test",
    measure: (profile) => e8LatencyNs(profile, config, threads),
  };
}

const e8Cases: ValidationCase[] = [
  e8Case("eager-global", 1, 14_700),
  e8Case("eager-global", 2, 33_600),
  e8Case("eager-global", 4, 49_500),
  e8Case("eager-global", 8, 70_631),
  e8Case("lazy-per-cpu", 1, 2_900),
  e8Case("lazy-per-cpu", 2, 3_000),
  e8Case("lazy-per-cpu", 4, 2_800),
  e8Case("lazy-per-cpu", 8, 2_900),
];

// ---------------------------------------------------------------------------------------
// test_vmalloc per-operation cost (E10/E11).

/** vmalloc(pages)+write one byte+vfree, one thread: the 6.1 vmap path, wall ns per op. */
export function vmallocLatencyNs(profile: CostProfile, pages: number): number {
  const run: ProbeRun = {
    cpus: 16,
    workload: "vmap-churn",
    params: { threads: 1, pages, touch: "first", scope: "long-term", source: "vmalloc" },
    strategy: "vmap-alias",
    options: { flush: "lazy", allocator: "global-lock" },
  };
  return latencyCyclesPerOp(profile, run, "loops", 200, 1) / profile.parameters.clock_ghz.value;
}

const vmallocCases: ValidationCase[] = [
  {
    id: "e10-fix-size",
    title: "test_vmalloc fix_size_alloc_test: vmalloc(3 pages) + write + vfree",
    published: {
      reference: "E10",
      value: 969.37,
      unit: "ns/op",
      conditions:
        "5.2.0-rc6, box not stated: 969,370 us per 10^6 loops (lib/test_vmalloc.c, per-op = avg / 10^6)",
      citation:
        "Uladzislau Rezki, 2019 review of the struct vmap_area shrinking series, test_vmalloc output (cost-references.md E10/P34, REZKI19, REZKI-TESTMOD)",
    },
    profile: "server-2022",
    configuration:
      "vmap-churn pages=3 touch=first source=vmalloc scope=long-term threads=1 (loops 200 and 400), --cpus 16; vmap-alias flush=lazy allocator=global-lock (the 6.1 vmap path); server-2022",
    metric: "wall ns per op: Δrun.simulated_cycles / Δrun.operations / clock_ghz",
    tolerance: 0.1,
    toleranceWhy:
      "fitted point: the vmap area pair is fitted here, with vmalloc's page allocation charged apart (page_alloc_bulk_*, page_free_cycles)",
    measure: (profile) => vmallocLatencyNs(profile, 3),
  },
  {
    id: "e11-16k",
    title: "test_vmalloc 16 KiB vmalloc + vfree, one thread",
    published: {
      reference: "E11",
      value: 955.2,
      unit: "ns/op",
      conditions:
        "AMD Milan, 256 CPUs, 512 GB, 2025: run_test_mask=1 nr_threads=1 nr_pages=4, 10 runs 911,381-1,158,739 us per 10^6 loops (median 955,223)",
      citation:
        'Uladzislau Rezki, "Re: [RFC PATCH] mm/vmalloc: request large order pages from buddy allocator", 2025-10-16, Message-ID aPEZdHJlNOofy5tm@milan (cost-references.md E11/P35, REZKI25)',
    },
    profile: "server-2022",
    configuration:
      "vmap-churn pages=4 touch=first source=vmalloc scope=long-term threads=1 (loops 200 and 400), --cpus 16; vmap-alias flush=lazy allocator=global-lock; server-2022",
    metric: "wall ns per op: Δrun.simulated_cycles / Δrun.operations / clock_ghz",
    tolerance: 0.2,
    toleranceWhy:
      "the 10 published runs spread -5%/+21% around the median; another box and kernel than the fitted E10",
    measure: (profile) => vmallocLatencyNs(profile, 4),
  },
];

/** Every validation case, in report order. */
// ---------------------------------------------------------------------------------------
// AMD broadcast TLB invalidation (E17): will-it-scale tlb_flush2 threads, 36 CPUs.

const RIK25 =
  'Rik van Riel, "[PATCH v13 00/14] AMD broadcast TLB invalidation", 2025-02-23, Message-ID 20250223194943.3518952-1-riel@surriel.com (cost-references.md E17, RIK25)';
const E17_CPUS = 36;
const E17_LOOPS = 256;

function e17Run(broadcast: "ipi" | "invlpgb"): ProbeRun {
  return {
    cpus: E17_CPUS,
    workload: "tlb-flush-bench",
    params: { loops: E17_LOOPS },
    strategy: "unprotected",
    machine: { broadcast },
  };
}

/** Cost categories that are TLB invalidation work (initiator, waits and targets). */
const TLB_CATEGORIES = [
  "invlpg",
  "tlb_flush",
  "ipi_send",
  "ipi_wait",
  "ipi_handle",
  "tlb_broadcast",
];

/** Share of the CPU time of a tlb-flush-bench run spent on TLB invalidation. */
export function e17TlbShare(profile: CostProfile, broadcast: "ipi" | "invlpgb"): number {
  const metrics = probe(profile, e17Run(broadcast));
  const tlb = TLB_CATEGORIES.reduce((sum, name) => sum + metrics[`cost.cycles.${name}`], 0);
  return tlb / systemCycles(metrics);
}

/** Loops per second of all threads (will-it-scale's figure), at the profile's clock. */
export function e17LoopsPerSecond(profile: CostProfile, broadcast: "ipi" | "invlpgb"): number {
  const metrics = probe(profile, e17Run(broadcast));
  const seconds = metrics["run.simulated_cycles"] / (profile.parameters.clock_ghz.value * 1e9);
  return metrics["run.operations"] / seconds;
}

const E17_CONFIG = (broadcast: string) =>
  `tlb-flush-bench loops=${E17_LOOPS}/thread, one thread per CPU, --cpus ${E17_CPUS}, machine.broadcast=${broadcast}; unprotected; server-2022`;
const E17_SHARE_METRIC =
  "share of CPU time in TLB invalidation: cost.cycles of invlpg, tlb_flush, ipi_send, ipi_wait, ipi_handle and tlb_broadcast over the steady-state cost.total_cycles";
const E17_MISS =
  "the fault and madvise work per loop are workload placeholders and lru_add_drain (the vanilla kernel's other bottleneck, removed in the same series) is not modelled, on a profile of an Intel-class server; nothing is re-fitted to this case";

const e17Cases: ValidationCase[] = [
  {
    id: "e17-ipi-tlb-share",
    title: "tlb_flush2 threads with IPI shootdowns: CPU time in TLB invalidation",
    published: {
      reference: "E17",
      value: 0.4,
      unit: "share",
      conditions:
        'AMD Milan, 36 cores, will-it-scale tlb_flush2_threads, vanilla kernel: "TLB invalidation went down from 40% of the total CPU time"',
      citation: RIK25,
    },
    profile: "server-2022",
    configuration: E17_CONFIG("ipi"),
    metric: E17_SHARE_METRIC,
    tolerance: 0.25,
    toleranceWhy: 'the published "40%" is a rounded profile share',
    measure: (profile) => e17TlbShare(profile, "ipi"),
    knownMiss: E17_MISS,
  },
  {
    id: "e17-invlpgb-tlb-share",
    title: "tlb_flush2 threads with INVLPGB + TLBSYNC: CPU time in TLB invalidation",
    published: {
      reference: "E17",
      value: 0.04,
      unit: "share",
      conditions:
        'AMD Milan, 36 cores, tlb_flush2_threads, lru_add_drain removal + INVLPGB: "to only around 4% of CPU time"',
      citation: RIK25,
    },
    profile: "server-2022",
    configuration: E17_CONFIG("invlpgb"),
    metric: E17_SHARE_METRIC,
    tolerance: 0.5,
    toleranceWhy: '"around 4%" is a rounded share of a small quantity',
    measure: (profile) => e17TlbShare(profile, "invlpgb"),
    inputCheck:
      "invlpgb_cycles, invlpgb_max_pages and tlbsync_cycles are unverified placeholders: this case checks them, it predicts nothing",
    knownMiss: E17_MISS,
  },
  {
    id: "e17-invlpgb-alone-speedup",
    title: "tlb_flush2 threads: INVLPGB alone vs vanilla, loops per second",
    published: {
      reference: "E17",
      value: 1.0,
      unit: "x",
      conditions:
        "AMD Milan, 36 cores, tlb_flush2_threads: vanilla 527k loops/s, only INVLPGB 527k loops/s (1157k with lru_add_drain removal as well)",
      citation: RIK25,
    },
    profile: "server-2022",
    configuration: `${E17_CONFIG("invlpgb")} vs ${E17_CONFIG("ipi")}`,
    metric: "loops/s of all threads (run.operations / simulated seconds), invlpgb over ipi",
    tolerance: 0.2,
    toleranceWhy: "two single published runs",
    measure: (profile) => e17LoopsPerSecond(profile, "invlpgb") / e17LoopsPerSecond(profile, "ipi"),
    knownMiss: `the published loop rate did not move because lru_add_drain bounded it; ${E17_MISS}`,
  },
];

export const VALIDATION_CASES: readonly ValidationCase[] = [
  ...flushCases,
  ...xpfoCases,
  ...e8Cases,
  ...vmallocCases,
  ...e17Cases,
];
