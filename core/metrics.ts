/**
 * The metric catalog: every metric name a run emits, declared once with its unit, what it
 * means and which direction is better. Reports take units and directions from here; a test
 * checks that every metric `runSimulation` emits is declared.
 *
 * Names are part of the result contract (issue 4): cost.*, events.*, coverage.*, compat.*,
 * exposure.*, memory.*, plus run.* bookkeeping and strategy.<name> counters that a strategy
 * reports from `onFinish` (declared by pattern, since only the strategy knows them).
 *
 * @packageDocumentation
 */
import { STRAY_CLASSES, type StrayClass } from "./contract/workload.ts";
import { COST_CATEGORIES, type CostCategory, EVENT_NAMES, type EventName } from "./ledger.ts";
import { CONFIDENCE_LEVELS } from "./profile.ts";

/** Which way is better: lower, higher, or neither (a count that describes the run). */
export type MetricDirection = "lower" | "higher" | "none";

export interface MetricSpec {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly direction: MetricDirection;
}

const CATEGORY_DESCRIPTIONS: Record<CostCategory, string> = {
  work: "unrelated work the workload does (compute operations)",
  access: "data accesses (one L1 hit each)",
  stlb_hit: "L1 DTLB misses served by the second-level TLB (STLB)",
  tlb_walk: "page walks after TLB misses, by levels walked",
  pkrs_write: "WRMSR(IA32_PKRS) and pkrs_cache checks",
  pte_write: "kernel page-table entry writes",
  invlpg: "local single-page TLB invalidations",
  tlb_flush: "full local TLB flushes",
  ipi_send: "sending IPIs (initiator side)",
  ipi_wait: "initiator waiting for IPI acknowledgements",
  ipi_handle: "taking IPIs on target CPUs",
  pt_alloc: "page-table page allocations",
  context_switch: "context switches",
  migration: "thread migrations",
  fault: "page-fault entry and exit",
  lock: "lock acquisition and cache-line transfers",
  lock_spin: "spinning on contended locks",
  vmap_alloc: "vmalloc-space allocation, freeing and purging",
  page_alloc: "page allocations",
  kmap_slot: "kmap_local slot push and pop",
  strategy: "software costs a strategy declares itself",
  entry: "system-call and interrupt entry and exit (the kernel-entry operations)",
  user: "user-mode time (no kernel mapping live)",
  tlb_broadcast: "INVLPGB broadcast invalidations and the TLBSYNC wait (broadcast=invlpgb)",
};

const EVENT_SPECS: Record<EventName, { description: string; direction: MetricDirection }> = {
  accesses: { description: "simulated data accesses (legitimate and compute)", direction: "none" },
  pkrs_writes: { description: "WRMSR(IA32_PKRS) executed", direction: "lower" },
  pkrs_writes_skipped: {
    description: "PKRS writes avoided because pkrs_cache already held the value",
    direction: "none",
  },
  ipis: { description: "inter-processor interrupts delivered", direction: "lower" },
  shootdowns: {
    description: "cross-CPU TLB shootdowns (flush_tlb_kernel_range/flush_tlb_all)",
    direction: "lower",
  },
  invlpg: { description: "INVLPG executed, on any CPU", direction: "lower" },
  full_flushes: { description: "full TLB flushes executed, on any CPU", direction: "lower" },
  tlb_misses: { description: "TLB misses (page walks)", direction: "lower" },
  stlb_hits: { description: "L1 DTLB misses that hit the STLB", direction: "lower" },
  pte_writes: { description: "kernel PTE writes", direction: "lower" },
  direct_map_splits: {
    description: "direct-map large-page splits (any level)",
    direction: "lower",
  },
  direct_map_splits_1g: { description: "direct-map 1 GiB → 2 MiB splits", direction: "lower" },
  direct_map_splits_2m: { description: "direct-map 2 MiB → 4 KiB splits", direction: "lower" },
  pt_allocs: { description: "page-table pages allocated", direction: "lower" },
  vmap_purges: { description: "lazy vmap purges (each a global flush)", direction: "lower" },
  faults: {
    description:
      "exceptions entered (#PF entry/exit charged): false faults of legitimate kernel accesses, user page faults (fault operations) and exception kernel-entry operations",
    direction: "lower",
  },
  context_switches: { description: "context switches", direction: "none" },
  migrations: { description: "thread migrations performed", direction: "none" },
  migrations_deferred: {
    description: "migrations refused because the thread had migration disabled (kmap_local)",
    direction: "lower",
  },
  lock_contended: { description: "lock acquisitions that had to wait", direction: "lower" },
  lock_sleeps: { description: "sleeping-lock waits", direction: "lower" },
  syscalls: { description: "system calls entered (kernel-entry via syscall)", direction: "none" },
  interrupts: {
    description: "interrupts and exceptions entered by kernel-entry operations",
    direction: "none",
  },
  user_faults: {
    description: "user page faults handled (fault operations: PTE installs in the mm's tables)",
    direction: "none",
  },
  mm_flushes: {
    description: "flush_tlb_mm_range() calls (user TLB flushes of one mm)",
    direction: "lower",
  },
  user_full_flushes: {
    description: "full non-global flushes of an mm (CR3 write, flush_tlb_local) on any CPU",
    direction: "lower",
  },
  invlpgb: { description: "INVLPGB broadcast invalidations issued", direction: "lower" },
  forks: { description: "address spaces copied by fork", direction: "none" },
  execs: { description: "address spaces built by exec", direction: "none" },
  exits: { description: "address spaces torn down (exit_mmap)", direction: "none" },
};

const STRAY_DESCRIPTIONS: Record<StrayClass, string> = {
  "wild-direct": "writes to the direct-map address of a protected page, random CPU and time",
  "window-same-cpu": "stray writes from a CPU while its running thread holds a mapping open",
  "use-after-unmap": "writes through a mapping's address after it was unmapped",
  overflow: "writes just past the end of a mapped range",
  "cross-cpu-stale": "writes from another CPU through an unmapped alias it may still cache",
  "stray-read": "reads of a protected page (confidentiality)",
};

const OUTCOMES = {
  injected: { description: "injected", direction: "none" },
  blocked: { description: "blocked by a fault", direction: "higher" },
  corrupted: { description: "that reached the protected page they aimed at", direction: "lower" },
  redirected: { description: "that landed on some other page", direction: "lower" },
  faulted: {
    description: "that raised a fault (caught: blocked, or let through by a relaxed fault mode)",
    direction: "higher",
  },
} as const;

function build(): Map<string, MetricSpec> {
  const specs: MetricSpec[] = [
    {
      name: "cost.cycles_per_op",
      unit: "cycles/op",
      description:
        "Steady-state cycles charged on all CPUs per workload-level operation (setup excluded)",
      direction: "lower",
    },
    {
      name: "cost.total_cycles",
      unit: "cycles",
      description:
        "Steady-state cycles charged on all CPUs, setup excluded (a system-time analogue)",
      direction: "lower",
    },
    ...CONFIDENCE_LEVELS.map(
      (level): MetricSpec => ({
        name: `cost.confidence.${level}`,
        unit: "cycles",
        description: `Steady-state cycles charged by cost parameters marked ${level}`,
        direction: "none",
      }),
    ),
    {
      name: "cost.confidence.simulated",
      unit: "cycles",
      description:
        "Steady-state cycles derived from simulated time or given by the workload (lock spinning, IPI waits, unrelated compute), not charged by a parameter",
      direction: "none",
    },
    {
      name: "setup.cycles",
      unit: "cycles",
      description:
        "Cycles of the one-off setup before the workload's first operation (keying or unmapping the region, its splits and flushes); not in cost.*",
      direction: "lower",
    },
    {
      name: "setup.shootdowns",
      unit: "count",
      description: "TLB shootdowns during setup; not in events.shootdowns",
      direction: "lower",
    },
    {
      name: "setup.ipis",
      unit: "count",
      description: "IPIs delivered during setup; not in events.ipis",
      direction: "lower",
    },
    {
      name: "setup.direct_map_splits",
      unit: "count",
      description: "Direct-map large-page splits during setup; not in events.direct_map_splits",
      direction: "lower",
    },
    {
      name: "setup.pt_allocs",
      unit: "count",
      description: "Page-table pages allocated during setup; not in events.pt_allocs",
      direction: "lower",
    },
    ...COST_CATEGORIES.map(
      (name): MetricSpec => ({
        name: `cost.cycles.${name}`,
        unit: "cycles",
        description: `Cycles charged for ${CATEGORY_DESCRIPTIONS[name]}`,
        direction: name === "work" || name === "access" ? "none" : "lower",
      }),
    ),
    ...EVENT_NAMES.map(
      (name): MetricSpec => ({
        name: `events.${name}`,
        unit: "count",
        description: EVENT_SPECS[name].description,
        direction: EVENT_SPECS[name].direction,
      }),
    ),
    ...STRAY_CLASSES.flatMap((cls) =>
      Object.entries(OUTCOMES).map(
        ([outcome, meta]): MetricSpec => ({
          name: `coverage.${cls}.${outcome}`,
          unit: "count",
          description: `Stray ${STRAY_DESCRIPTIONS[cls]}: ${meta.description}`,
          direction: meta.direction,
        }),
      ),
    ),
    {
      name: "coverage.injected",
      unit: "count",
      description:
        "Stray accesses injected, all classes: drawn per thread at the legitimate page accesses of the workload's stream, so the same for every strategy of a workload",
      direction: "none",
    },
    {
      name: "coverage.not_applicable",
      unit: "count",
      description:
        "Strays drawn that had no target at that point of the stream (e.g. use-after-unmap before the thread's first unmap); the same for every strategy",
      direction: "none",
    },
    {
      name: "coverage.blocked_ratio",
      unit: "ratio",
      description: "Blocked strays over injected strays, all classes",
      direction: "higher",
    },
    {
      name: "coverage.caught_ratio",
      unit: "ratio",
      description:
        "Strays that raised a fault over injected strays, all classes: detection, even where a relaxed fault mode then let the access through (compare coverage.blocked_ratio)",
      direction: "higher",
    },
    {
      name: "coverage.caught",
      unit: "count",
      description:
        "Stray writes that raised a fault (caught, even if a relaxed fault mode then let them through); attributed per CPU and operation in the run's catches",
      direction: "higher",
    },
    {
      name: "coverage.caught_oops",
      unit: "count",
      description:
        "Caught stray writes the fault handler could not fix (the kernel oopses): each one is reported, with its backtrace",
      direction: "higher",
    },
    {
      name: "coverage.caught_granted",
      unit: "count",
      description:
        "Caught stray writes the fault handler let through (PKS relaxed mode): reported only by a WARN_ONCE, i.e. once per boot (strategy.warn_once), however many there are",
      direction: "none",
    },
    {
      name: "compat.false_faults",
      unit: "count",
      description: "Legitimate accesses that faulted under the strategy",
      direction: "lower",
    },
    {
      name: "compat.false_faults_granted",
      unit: "count",
      description:
        "False faults the fault handler resolved by granting access (relaxed mode), so the access went through",
      direction: "lower",
    },
    {
      name: "compat.false_faults_oops",
      unit: "count",
      description: "False faults the fault handler could not resolve (the kernel would oops)",
      direction: "lower",
    },
    {
      name: "compat.broken_accesses",
      unit: "count",
      description: "Legitimate accesses that failed even after fault handling",
      direction: "lower",
    },
    {
      name: "compat.direct_reads",
      unit: "count",
      description:
        "Reads through the direct map with no map call (page_address() readers, page-table walkers such as GUP-fast)",
      direction: "none",
    },
    {
      name: "compat.broken_direct_reads",
      unit: "count",
      description:
        "Direct-map reads with no map call that failed (the design removed the page from the direct map); included in compat.broken_accesses",
      direction: "lower",
    },
    {
      name: "compat.unsupported_maps",
      unit: "count",
      description: "Map requests the strategy could not serve (scope or size unsupported)",
      direction: "lower",
    },
    {
      name: "compat.unsupported_unmaps",
      unit: "count",
      description:
        "Unmap requests the strategy refused (e.g. out of LIFO order for a local mapping)",
      direction: "lower",
    },
    {
      name: "compat.skipped_accesses",
      unit: "count",
      description:
        "Legitimate page accesses not done because the strategy refused their map (work the cell did not do)",
      direction: "lower",
    },
    {
      name: "compat.refused_page_moves",
      unit: "count",
      description:
        "Requests to move region pages in or out of protection that the strategy could not serve",
      direction: "lower",
    },
    {
      name: "exposure.fraction",
      unit: "fraction",
      description:
        "Exposure over protected page-time: page-cycles a protected page was writable by a stray, over region pages x CPUs x steady-state cycles (0 = never, 1 = always)",
      direction: "lower",
    },
    {
      name: "exposure.page_cycles",
      unit: "page-cycles",
      description:
        "Sum over CPUs of page-cycles during which a protected page was writable from that CPU by code other than its legitimate user",
      direction: "lower",
    },
    {
      name: "memory.overhead_bytes",
      unit: "bytes",
      description:
        "Extra memory the strategy made the kernel allocate (page-table pages), setup included: it stays allocated",
      direction: "lower",
    },
    {
      name: "run.operations",
      unit: "ops",
      description: "Workload-level operations completed (the denominator of cycles_per_op)",
      direction: "none",
    },
    {
      name: "run.maps",
      unit: "count",
      description: "Map requests the workload's stream made (served or refused)",
      direction: "none",
    },
    {
      name: "run.multi_page_maps",
      unit: "count",
      description: "Map requests of more than one page (a range mapped in one call)",
      direction: "none",
    },
    {
      name: "run.local_maps",
      unit: "count",
      description: "Map requests of local scope (this thread, this CPU: kmap_local_page's scope)",
      direction: "none",
    },
    {
      name: "run.simulated_cycles",
      unit: "cycles",
      description:
        "Simulated wall-clock of the steady state: the latest CPU clock at the end, from the workload's start",
      direction: "lower",
    },
    {
      name: "run.unintended_writes",
      unit: "count",
      description: "Successful writes that landed on a page other than the one their writer meant",
      direction: "lower",
    },
  ];
  const map = new Map<string, MetricSpec>();
  for (const spec of specs) {
    if (map.has(spec.name)) throw new Error(`metric ${spec.name} declared twice`);
    map.set(spec.name, spec);
  }
  return map;
}

/** Every fixed metric name, declared once. */
export const METRIC_CATALOG: ReadonlyMap<string, MetricSpec> = build();

/** Prefix of strategy-reported counters (`onFinish`), declared by pattern. */
export const STRATEGY_METRIC_PREFIX = "strategy.";

/** Prefix of the per-parameter steady-state cycles a run reports, declared by pattern. */
export const PARAMETER_METRIC_PREFIX = "cost.param.";

/** The spec of one metric, or undefined when it is not declared. */
export function metricSpec(name: string): MetricSpec | undefined {
  const spec = METRIC_CATALOG.get(name);
  if (spec) return spec;
  if (name.startsWith(PARAMETER_METRIC_PREFIX) && name.length > PARAMETER_METRIC_PREFIX.length) {
    return {
      name,
      unit: "cycles",
      description: `Steady-state cycles charged by cost parameter ${name.slice(PARAMETER_METRIC_PREFIX.length)}`,
      direction: "none",
    };
  }
  if (name.startsWith(STRATEGY_METRIC_PREFIX) && name.length > STRATEGY_METRIC_PREFIX.length) {
    return {
      name,
      unit: "count",
      description: `Strategy-specific counter "${name.slice(STRATEGY_METRIC_PREFIX.length)}" (reported by the strategy's onFinish)`,
      direction: "none",
    };
  }
  return undefined;
}

/**
 * The specs of `metricNames`, in the order given. An undeclared name is a programming error
 * (the engine emitted a metric nobody declared) and throws, naming it.
 */
export function catalogFor(metricNames: Iterable<string>): MetricSpec[] {
  const out: MetricSpec[] = [];
  for (const name of metricNames) {
    const spec = metricSpec(name);
    if (!spec) throw new Error(`metric "${name}" is not declared in core/metrics.ts`);
    out.push(spec);
  }
  return out;
}
