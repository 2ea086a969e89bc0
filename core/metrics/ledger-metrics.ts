/**
 * The metrics of what a run cost, read from the ledger: cost.* (steady state, by category,
 * by confidence), setup.* and events.*.
 *
 * @packageDocumentation
 */
import { COST_CATEGORIES, type CostCategory, EVENT_NAMES, type EventName } from "../ledger.ts";
import { CONFIDENCE_LEVELS } from "../profile.ts";
import type { MetricSpec } from "./spec.ts";

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

/** What each ledger event counts. */
const EVENT_DESCRIPTIONS: Record<EventName, string> = {
  accesses: "simulated data accesses (legitimate and compute)",
  pkrs_writes: "WRMSR(IA32_PKRS) executed",
  pkrs_writes_skipped: "PKRS writes avoided because pkrs_cache already held the value",
  ipis: "inter-processor interrupts delivered",
  shootdowns: "cross-CPU TLB shootdowns (flush_tlb_kernel_range/flush_tlb_all)",
  invlpg: "INVLPG executed, on any CPU",
  full_flushes: "full TLB flushes executed, on any CPU",
  tlb_misses: "TLB misses (page walks)",
  stlb_hits: "L1 DTLB misses that hit the STLB",
  pte_writes: "kernel PTE writes",
  direct_map_splits: "direct-map large-page splits (any level)",
  direct_map_splits_1g: "direct-map 1 GiB → 2 MiB splits",
  direct_map_splits_2m: "direct-map 2 MiB → 4 KiB splits",
  pt_allocs: "page-table pages allocated",
  vmap_purges: "lazy vmap purges (each a global flush)",
  faults:
    "exceptions entered (#PF entry/exit charged): false faults of legitimate kernel accesses, user page faults (fault operations) and exception kernel-entry operations",
  context_switches: "context switches",
  migrations: "thread migrations performed",
  migrations_deferred: "migrations refused because the thread had migration disabled (kmap_local)",
  lock_contended: "lock acquisitions that had to wait",
  lock_sleeps: "sleeping-lock waits",
  syscalls: "system calls entered (kernel-entry via syscall)",
  interrupts: "interrupts and exceptions entered by kernel-entry operations",
  user_faults: "user page faults handled (fault operations: PTE installs in the mm's tables)",
  mm_flushes: "flush_tlb_mm_range() calls (user TLB flushes of one mm)",
  user_full_flushes: "full non-global flushes of an mm (CR3 write, flush_tlb_local) on any CPU",
  invlpgb: "INVLPGB broadcast invalidations issued",
  forks: "address spaces copied by fork",
  execs: "address spaces built by exec",
  exits: "address spaces torn down (exit_mmap)",
};

/** Events that describe the run (direction "none"); of every other event, fewer is better. */
const DESCRIPTIVE_EVENTS: ReadonlySet<EventName> = new Set<EventName>([
  "accesses",
  "pkrs_writes_skipped",
  "context_switches",
  "migrations",
  "syscalls",
  "interrupts",
  "user_faults",
  "forks",
  "execs",
  "exits",
]);

/** cost.*, setup.* and events.*, in catalog order. */
export const LEDGER_METRICS: readonly MetricSpec[] = [
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
    description: "Steady-state cycles charged on all CPUs, setup excluded (a system-time analogue)",
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
      description: EVENT_DESCRIPTIONS[name],
      direction: DESCRIPTIVE_EVENTS.has(name) ? "none" : "lower",
    }),
  ),
];
