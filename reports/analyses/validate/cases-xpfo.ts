/** The XPFO cases (XPFO-V7/V8/V9, cost-references.md E1-E4): the xpfo-churn workload's system time against the unprotected kernel, flushing on every allocation, deferred and batched, and v9, on 4 and 96 cores. */
import type { CostProfile } from "../../../core/profile.ts";
import type { ValidationCase } from "./case.ts";
import { type ProbeRun, probe, systemCycles } from "./model.ts";

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

export const xpfoCases: ValidationCase[] = [
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
    runGroup: "xpfo-deferred",
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
    runGroup: "xpfo-deferred",
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
    runGroup: "xpfo-deferred",
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
    runGroup: "xpfo-deferred",
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
    runGroup: "xpfo-deferred",
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
