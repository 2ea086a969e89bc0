/** The flush and vmap cases: range flushes (HANSEN14, P19), the vmap layer rewrite (PIGGIN08, E8) and test_vmalloc latencies. */
import type { CostProfile } from "../../../core/profile.ts";
import type { ValidationCase } from "./case.ts";
import { latencyCyclesPerOp, type ProbeRun, rangeFlushCycles } from "./model.ts";

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

export const flushCases: ValidationCase[] = [
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

export const e8Cases: ValidationCase[] = [
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

export const vmallocCases: ValidationCase[] = [
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
