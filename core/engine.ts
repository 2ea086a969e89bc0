import { createStrategyContext } from "./contract/context.ts";
import type { OptionValues } from "./contract/options.ts";
import {
  type FaultEvent,
  type Mapping,
  type ProtectedRegion,
  resolveStrategyOptions,
  type Scope,
  type StrategyContext,
  type StrategyHooks,
  type StrategyModule,
} from "./contract/strategy.ts";
import { DEFAULT_STRAY_EVERY, parseStrayMix } from "./contract/stray.ts";
import {
  type Operation,
  STRAY_CLASSES,
  type StrayClass,
  type WorkloadModule,
} from "./contract/workload.ts";
import { ledgerViolations } from "./invariants.ts";
import { Cat, COST_CATEGORIES, EVENT_NAMES, Ev } from "./ledger.ts";
import {
  FAULT_NAMES,
  FAULT_NOT_PRESENT,
  Machine,
  type MachineConfig,
  OK,
  READ,
  type Thread,
  Thread as ThreadClass,
  WRITE,
} from "./machine/index.ts";
import {
  type Mm,
  PTE_BYTES,
  PTRS_PER_PTE,
  UPTE_ANON,
  UPTE_DIRTY,
  UPTE_PRESENT,
  UPTE_WRITE,
} from "./machine/mm.ts";
import { PAGE_KERNEL } from "./machine/pte.ts";
import { guardHooks, type HookSite, PluginError } from "./plugin-guard.ts";
import { CONFIDENCE_LEVELS, type CostProfile } from "./profile.ts";
import { Rng } from "./rng.ts";

/** User page of the stack exec sets up (any page far from the workloads' own pages). */
const STACK_PAGE = 1 << 30;

/** Everything that defines one simulated run (one cell of a comparison, one seed). */
export interface RunSpec {
  readonly machine: MachineConfig;
  readonly profile: CostProfile;
  readonly strategy: StrategyModule;
  /**
   * The strategy's option values as given (already resolved, or partial): the engine
   * resolves them against the strategy's specs before `create`, so the strategy receives
   * every option parsed and typed (core/contract/strategy.ts resolveStrategyOptions).
   */
  readonly strategyOptions: OptionValues;
  readonly workload: WorkloadModule;
  readonly workloadParams: OptionValues;
  readonly seed: number;
  /**
   * Mean stream operations between injected stray accesses when the workload does not say;
   * 0 disables injection. A workload's `stray_every` parameter (issue 4: rate and mix are
   * workload parameters) takes precedence; without either, DEFAULT_STRAY_EVERY. The mix
   * comes from the workload's `stray_mix` parameter (default: every class).
   */
  readonly strayEvery?: number;
  /** Keep up to this many per-stray records in `RunResult.strays` (tests, debugging). */
  readonly recordStrays?: number;
  /** Upper bound on operations executed, so a runaway plugin cannot hang a report. */
  readonly operationBudget?: number;
  /**
   * Check the model's invariants during and after the run (on in tests, `--check` in the
   * CLI): protection back after every unmap, no false fault in a supported scope, one
   * outcome per stray, PKRS consistent with thread state at switches, ledger consistency.
   */
  readonly checkInvariants?: boolean;
}

/** Outcome counts of one stray-access class. */
export interface StrayOutcome {
  injected: number;
  blocked: number;
  corrupted: number;
  redirected: number;
  /** Raised a fault (blocked, or let through after the fault by a relaxed mode). */
  faulted: number;
}

/** Raw metrics of one run, by metric name (see reports' metric catalog). */
export type RunMetrics = Record<string, number>;

/**
 * Caught illegal modifications (stray writes that faulted), aggregated by the CPU that made
 * them, the stray class (what made the write) and the workload operation that CPU was in
 * (`during`: the kind of the last stream operation it executed). The btrfs-debug-ro answer
 * to "who modified this page".
 */
export interface CaughtModification {
  readonly cpu: number;
  readonly stray: StrayClass;
  readonly during: string;
  count: number;
  /** Simulated time of the first one. */
  readonly firstTime: number;
}

/** One injected stray access, when `RunSpec.recordStrays` asks for them. */
export interface StrayRecord {
  readonly cls: StrayClass;
  readonly cpu: number;
  readonly time: number;
  readonly write: boolean;
  readonly outcome: "blocked" | "corrupted" | "redirected";
  /** The access raised a fault (even if a relaxed fault mode then let it through). */
  readonly faulted: boolean;
  /** The stray CPU's running thread held a live mapping at the time. */
  readonly windowOpen: boolean;
  /** For strays through an unmapped address: vmap purges since that unmap. */
  readonly purgesSinceUnmap?: number;
  /** The CPU's TLB held a stale translation for the address when the stray was made. */
  readonly throughStaleEntry: boolean;
}

/**
 * How a run (or a cell) went, from best to worst: `ok`, every map, unmap and legitimate
 * access served; `partial`, some refused or broken; `unsupported`, the strategy could do
 * none of the workload's work (its setup refused the region, or it refused every map);
 * `failed`, the kernel would have oopsed, an invariant broke, or plugin code threw.
 */
export const RUN_STATUSES = ["ok", "partial", "unsupported", "failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What a strategy served of the work a workload asked for, summed over a run. */
export interface ServedCounts {
  /** Map requests made by the workload's stream. */
  readonly maps: number;
  readonly refusedMaps: number;
  readonly refusedUnmaps: number;
  /** Legitimate accesses that failed even after fault handling. */
  readonly brokenAccesses: number;
  /** Faults the kernel would have oopsed on (a strict fault mode). */
  readonly oopses: number;
  /** Legitimate page accesses left undone because their map was refused. */
  readonly skippedAccesses: number;
  /** protect-pages / release-pages requests the strategy could not serve. */
  readonly refusedPageMoves: number;
}

/** Counts of a run that served nothing (it never started). */
export const NOTHING_SERVED: ServedCounts = {
  maps: 0,
  refusedMaps: 0,
  refusedUnmaps: 0,
  brokenAccesses: 0,
  oopses: 0,
  skippedAccesses: 0,
  refusedPageMoves: 0,
};

/** The status that served counts imply (see {@link RunStatus}). */
export function runStatus(served: ServedCounts): RunStatus {
  if (served.oopses > 0) return "failed";
  if (served.maps > 0 && served.refusedMaps === served.maps) return "unsupported";
  if (
    served.refusedMaps > 0 ||
    served.refusedUnmaps > 0 ||
    served.brokenAccesses > 0 ||
    served.skippedAccesses > 0 ||
    served.refusedPageMoves > 0
  ) {
    return "partial";
  }
  return "ok";
}

/** The worse of two statuses. */
export function worseStatus(a: RunStatus, b: RunStatus): RunStatus {
  return RUN_STATUSES.indexOf(a) >= RUN_STATUSES.indexOf(b) ? a : b;
}

/** The ledger's totals at the end of setup, subtracted to get the steady state. */
interface LedgerSnapshot {
  readonly total: number;
  readonly categories: Float64Array;
  readonly events: Float64Array;
  readonly parameters: Float64Array;
  readonly derived: number;
}

function snapshotLedger(ledger: Machine["ledger"]): LedgerSnapshot {
  const categories = new Float64Array(COST_CATEGORIES.length);
  COST_CATEGORIES.forEach((_, index) => {
    categories[index] = ledger.categoryTotal(index);
  });
  return {
    total: ledger.totalCycles(),
    categories,
    events: ledger.events.slice(),
    parameters: ledger.parameterCycles.slice(),
    derived: ledger.derivedCycles,
  };
}

/** Result of one run. */
export interface RunResult {
  readonly status: RunStatus;
  readonly reason?: string;
  readonly metrics: RunMetrics;
  /** What the strategy served of the workload's work. */
  readonly served: ServedCounts;
  /** Caught illegal modifications by CPU, class and operation (empty when none). */
  readonly catches?: readonly CaughtModification[];
  /**
   * Invariant violations, when `RunSpec.checkInvariants` is on (empty when all hold); the
   * ledger's consistency is checked on every run, so its violations appear even when off.
   */
  readonly violations?: readonly string[];
  /** Per-stray records, when `RunSpec.recordStrays` > 0. */
  readonly strays?: readonly StrayRecord[];
}

/** Default bound on workload operations per run, and on model charges per operation. */
export const DEFAULT_OPERATION_BUDGET = 5_000_000;
const CHARGES_PER_OPERATION = 100;

/** PRNG stream ids of thread i's stray schedule and compute touches: STREAM + i. */
const STRAY_STREAM = 2_000_003;
const COMPUTE_STREAM = 3_000_007;
/** Unmaps per thread that cross-cpu-stale strays choose from. */
const RECENT_UNMAPS = 8;

/** Pages per alloc_pages_bulk_array*() call in vm_area_alloc_pages() (mm/vmalloc.c, 6.1). */
const VMALLOC_BULK_MAX = 100;

/** First physical page of the protected region: start of the second GiB. */
export const REGION_BASE_PFN = 1 << 18;

interface LiveMapping {
  readonly handle: number;
  readonly mapping: Mapping;
  readonly pfns: number[];
  readonly thread: Thread;
  readonly cpu: number;
  /** CPUs that accessed through it (for cross-CPU stale strays). */
  readonly users: Set<number>;
  readonly scope: Scope;
  /** Region index of the first mapped page. */
  readonly firstPage: number;
  /** The pages were allocated with the mapping (vmalloc) and are freed with it. */
  readonly allocated: boolean;
}

interface Unmapped {
  /** Addresses the pages had; the direct-map addresses when the strategy refused the map. */
  readonly vpns: readonly number[];
  readonly pfns: number[];
  readonly cpu: number;
  readonly users: readonly number[];
  /** events.vmap_purges when it was unmapped. */
  readonly purges: number;
}

interface SimThread {
  readonly thread: Thread;
  readonly ops: Iterator<Operation>;
  /** Open kernel-entry operations, innermost last. */
  readonly entries: ("syscall" | "exception" | "interrupt")[];
  sleepingUntil: number;
  waitingFor: number;
  done: boolean;
  /**
   * This thread's stray schedule and targets. Per thread and drawn only at legitimate page
   * accesses the workload asks for (served or not), so every strategy of a workload gets
   * the same strays at the same points of the same stream: equal denominators.
   */
  readonly strayRng: Rng;
  /** This thread's unrelated-memory touches, independent of how CPUs interleave. */
  readonly computeRng: Rng;
  /** The last mappings this thread's stream unmapped, newest last (served or not). */
  readonly unmapped: Unmapped[];
  /** Workload-level operations this thread completed. */
  completed: number;
  /** Region pages this thread's stream gave to protection and has not released. */
  protectedPages: number;
}

/** Places the region in physical memory: one range, or scattered pages (seeded). */
export function placeRegion(
  pages: number,
  contiguous: boolean,
  physicalPages: number,
  rng: Rng,
  basePfn = REGION_BASE_PFN,
): Int32Array {
  const pfns = new Int32Array(pages);
  if (pages > physicalPages - basePfn) {
    throw new RangeError(`region of ${pages} pages does not fit in physical memory`);
  }
  if (contiguous) {
    for (let i = 0; i < pages; i++) pfns[i] = basePfn + i;
    return pfns;
  }
  // Scattered: distinct pages spread over the memory above the base (the first GiB).
  const span = physicalPages - basePfn;
  const used = new Set<number>();
  for (let i = 0; i < pages; i++) {
    let pfn: number;
    do pfn = basePfn + rng.int(0, span - 1);
    while (used.has(pfn));
    used.add(pfn);
    pfns[i] = pfn;
  }
  return pfns;
}

/**
 * The CPUs that still have work, ordered by simulated clock, then by when they joined (the
 * order a Set would iterate them in). A binary heap whose keys may lag behind the clocks:
 * clocks only move forward, so a key is never above its CPU's clock, and `earliest` brings
 * stale keys at the top up to date until the top is current. Choosing the next CPU is
 * O(log CPUs) instead of a scan of every CPU per operation.
 */
class CpuQueue {
  readonly #clock: Float64Array;
  readonly #heap: Int32Array;
  readonly #key: Float64Array;
  readonly #seq: Float64Array;
  readonly #member: Uint8Array;
  #joined = 0;
  size = 0;

  constructor(cpus: number, clock: Float64Array) {
    this.#clock = clock;
    this.#heap = new Int32Array(cpus);
    this.#key = new Float64Array(cpus);
    this.#seq = new Float64Array(cpus);
    this.#member = new Uint8Array(cpus);
  }

  #before(a: number, b: number): boolean {
    const ka = this.#key[a];
    const kb = this.#key[b];
    return ka < kb || (ka === kb && this.#seq[a] < this.#seq[b]);
  }

  #down(at: number): void {
    const heap = this.#heap;
    const cpu = heap[at];
    const size = this.size;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      if (child + 1 < size && this.#before(heap[child + 1], heap[child])) child++;
      if (!this.#before(heap[child], cpu)) break;
      heap[at] = heap[child];
      at = child;
    }
    heap[at] = cpu;
  }

  /** Adds `cpu` (no-op when it is already in). */
  add(cpu: number): void {
    if (this.#member[cpu]) return;
    this.#member[cpu] = 1;
    this.#key[cpu] = this.#clock[cpu];
    this.#seq[cpu] = this.#joined++;
    const heap = this.#heap;
    let at = this.size++;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.#before(cpu, heap[parent])) break;
      heap[at] = heap[parent];
      at = parent;
    }
    heap[at] = cpu;
  }

  /** The CPU with the earliest clock (ties: the one that joined first). */
  earliest(): number {
    const heap = this.#heap;
    const clock = this.#clock;
    for (;;) {
      const top = heap[0];
      if (this.#key[top] === clock[top]) return top;
      this.#key[top] = clock[top];
      this.#down(0);
    }
  }

  /** Removes the CPU `earliest` returned. */
  removeEarliest(): void {
    this.#member[this.#heap[0]] = 0;
    this.size--;
    if (this.size > 0) {
      this.#heap[0] = this.#heap[this.size];
      this.#down(0);
    }
  }

  every(predicate: (cpu: number) => boolean): boolean {
    for (let i = 0; i < this.size; i++) if (!predicate(this.#heap[i])) return false;
    return true;
  }
}

/**
 * Runs one workload against one strategy on a fresh machine. CPUs are interleaved by
 * simulated time: the CPU with the earliest clock runs its current thread's next
 * operation, so cross-CPU effects (IPIs, stale TLB windows, lock waits) happen in time
 * order at operation granularity.
 */
export function runSimulation(spec: RunSpec): RunResult {
  const machine = new Machine(spec.machine, spec.profile);
  const checking = spec.checkInvariants ?? false;
  machine.checkInvariants = checking;
  const violations = machine.violations;
  const MAX_VIOLATIONS = 50;
  const violation = (message: string) => {
    if (violations.length < MAX_VIOLATIONS) violations.push(message);
  };
  const ledger = machine.ledger;
  const regionSpec = spec.workload.region(spec.workloadParams);
  const placementRng = Rng.derive(spec.seed, 1_000_001);
  // The machine says where a region may live (all of memory above 1 GiB on x86-64; high or
  // low memory on a HIGHMEM machine).
  const [regionBase, regionLimit] = machine.regionRange(REGION_BASE_PFN);
  const region: ProtectedRegion = {
    pfns: placeRegion(
      regionSpec.pages,
      regionSpec.contiguous,
      regionLimit,
      placementRng,
      regionBase,
    ),
    keyMode: regionSpec.keyMode,
    contiguous: regionSpec.contiguous,
    device: regionSpec.memory === "device",
  };
  machine.watch(region.pfns);
  const regionDirectMapped = region.pfns.every((pfn) => machine.inDirectMap(pfn));

  // The context `create` gets (core/contract/context.ts; the conformance kit builds the
  // same), its cost parameters entered in the ledger with their provenance. The one place a
  // run's strategy gets its options: parsed against its specs here, so that no strategy
  // resolves or casts its own.
  const context: StrategyContext = createStrategyContext(
    machine,
    region,
    spec.strategy,
    resolveStrategyOptions(spec.strategy, spec.strategyOptions),
    ({ parameter, count, undeclared }) => {
      throw new Error(
        undeclared
          ? `strategy ${spec.strategy.name} charged undeclared cost parameter "${parameter}"`
          : `strategy ${spec.strategy.name} charged "${parameter}" ${count} times`,
      );
    },
  );
  // What the engine is doing, for plugin error messages (formatted only on error).
  let siteOperation: Operation | undefined;
  let siteCpu = 0;
  const site: HookSite = {
    get operation() {
      return siteOperation
        ? `operation ${JSON.stringify(siteOperation)} on CPU ${siteCpu}`
        : "setup";
    },
  };
  let created: StrategyHooks;
  try {
    created = spec.strategy.create(context);
  } catch (error) {
    throw new PluginError(
      `${spec.strategy.name}.create threw: ${(error as Error)?.message ?? error}`,
    );
  }
  if (created === null || typeof created !== "object") {
    throw new PluginError(
      `${spec.strategy.name}.create returned ${String(created)}, not a hooks object`,
    );
  }
  const hooks: StrategyHooks = guardHooks(spec.strategy.name, created, site, machine.vaLimit);
  const budget = spec.operationBudget ?? DEFAULT_OPERATION_BUDGET;
  ledger.chargeBudget = budget * CHARGES_PER_OPERATION;

  const coverage = new Map<StrayClass, StrayOutcome>(
    STRAY_CLASSES.map((name) => [
      name,
      { injected: 0, blocked: 0, corrupted: 0, redirected: 0, faulted: 0 },
    ]),
  );
  const counters = {
    operations: 0,
    executed: 0,
    falseFaults: 0,
    falseFaultsGranted: 0,
    falseFaultsOops: 0,
    caught: 0,
    caughtOops: 0,
    caughtGranted: 0,
    faultedStrays: 0,
    brokenAccesses: 0,
    maps: 0,
    multiPageMaps: 0,
    localMaps: 0,
    directReads: 0,
    brokenDirectReads: 0,
    unsupportedMaps: 0,
    unsupportedUnmaps: 0,
    /** Legitimate page accesses the stream asked for through a map the strategy refused. */
    skippedAccesses: 0,
    /** protect-pages / release-pages requests the strategy could not serve. */
    refusedPageMoves: 0,
    oopses: 0,
    strayNotApplicable: 0,
  };
  const unsupportedReasons = new Set<string>();

  const setupOutcome = hooks.onSetup?.(region);
  if (setupOutcome && setupOutcome.kind === "unsupported") {
    return {
      status: "unsupported",
      reason: setupOutcome.reason,
      metrics: {},
      served: { ...NOTHING_SERVED },
    };
  }
  // Setup is boot-time work (keying the region, its splits and flushes): reported apart as
  // setup.*, and subtracted from cost.*/events.*, which count the steady state only.
  const setup = snapshotLedger(ledger);
  // Every CPU starts the workload together when setup is done, so the CPU that did the
  // setup does not start behind the others.
  machine.beginWorkload();
  const workloadStart = ledger.clock[0];

  // Threads: thread i starts on CPU i mod cpus; each CPU has a run queue.
  const threadCount = spec.workload.threads(spec.workloadParams, machine.cpus);
  const simThreads: SimThread[] = [];
  const runQueues: SimThread[][] = Array.from({ length: machine.cpus }, () => []);
  for (let i = 0; i < threadCount; i++) {
    const cpu = i % machine.cpus;
    const thread = machine.createThread(cpu);
    const ops = spec.workload
      .generate({
        thread: i,
        threads: threadCount,
        cpus: machine.cpus,
        rng: Rng.derive(spec.seed, i),
        params: spec.workloadParams,
        strategyMapsRanges: spec.strategy.mapsRanges ?? false,
        // page_address() reads need the pages in the direct map (not high memory).
        strategyDirectMapReads: (spec.strategy.directMapReads ?? false) && regionDirectMapped,
        region: regionSpec,
      })
      [Symbol.iterator]();
    const sim: SimThread = {
      thread,
      ops,
      entries: [],
      sleepingUntil: 0,
      waitingFor: -1,
      done: false,
      completed: 0,
      protectedPages: 0,
      unmapped: [],
      strayRng: Rng.derive(spec.seed, STRAY_STREAM + i),
      computeRng: Rng.derive(spec.seed, COMPUTE_STREAM + i),
    };
    simThreads.push(sim);
    runQueues[cpu].push(sim);
  }
  const simOf = new Map<Thread, SimThread>(simThreads.map((sim) => [sim.thread, sim]));
  // Idle threads the CPUs started with.
  const idle = machine.current.slice();

  const live = new Map<number, LiveMapping>();
  /** Mappings the stream holds open (map done, unmap not yet), served or not: handle → pfns. */
  const intendedLive = new Map<number, number[]>();
  // Stray rate and mix: workload parameters (issue 4); the run's rate is the fallback.
  const paramEvery = spec.workloadParams.stray_every;
  const strayEvery =
    typeof paramEvery === "number" ? paramEvery : (spec.strayEvery ?? DEFAULT_STRAY_EVERY);
  const paramMix = spec.workloadParams.stray_mix;
  const strayMix = parseStrayMix(typeof paramMix === "string" ? paramMix : "all");
  const strayProbability = strayEvery > 0 ? 1 / strayEvery : 0;
  // Attribution: the kind of the last stream operation each CPU executed.
  const lastOpKind: string[] = new Array(machine.cpus).fill("idle");
  const catches = new Map<string, CaughtModification>();
  const recordLimit = spec.recordStrays ?? 0;
  const strayLog: StrayRecord[] = [];
  /**
   * Region pages currently protected, when the workload moves pages in and out of
   * protection (protect-pages/release-pages, xpfo-churn): strays aimed at "a protected
   * page" then aim only at these. Undefined while the whole region is protected.
   */
  let owned: { list: Int32Array; position: Int32Array; size: number } | undefined;

  const runnable = (sim: SimThread, cpu: number) =>
    !sim.done &&
    sim.sleepingUntil <= machine.now(cpu) &&
    (sim.waitingFor < 0 || intendedLive.has(sim.waitingFor));

  const switchTo = (cpu: number, next: Thread) => {
    const previous = machine.current[cpu];
    if (previous === next) return;
    machine.contextSwitch(cpu, next);
    hooks.onContextSwitch?.(cpu, previous, next);
  };

  /** Picks the thread `cpu` runs next: the current one if runnable, else round robin. */
  const pickThread = (cpu: number): SimThread | undefined => {
    const queue = runQueues[cpu];
    const currentSim = simOf.get(machine.current[cpu]);
    if (currentSim && currentSim.thread.cpu === cpu && runnable(currentSim, cpu)) return currentSim;
    for (let i = 0; i < queue.length; i++) {
      const candidate = queue[(i + 1) % queue.length];
      if (runnable(candidate, cpu)) return candidate;
    }
    return undefined;
  };

  /** A legitimate access through a mapping; faults are false faults. */
  const legitimateAccess = (
    cpu: number,
    sim: SimThread,
    mapping: LiveMapping,
    pageIndex: number,
    write: boolean,
  ) => {
    const vpn = mapping.mapping.vpns[pageIndex];
    mapping.users.add(cpu);
    let fault = machine.access(cpu, vpn, write ? WRITE : READ);
    if (fault !== OK) {
      counters.falseFaults++;
      if (checking && supportsScope(mapping.scope) && mapping.cpu === cpu) {
        violation(
          `${mapping.scope} ${write ? "write" : "read"} through handle ${mapping.handle} faulted (${FAULT_NAMES[fault]}) on CPU ${cpu}, a scope ${spec.strategy.name} claims to support`,
        );
      }
      const resolution = handleFault(cpu, sim.thread, vpn, write, fault);
      if (resolution === "retry") fault = machine.access(cpu, vpn, write ? WRITE : READ);
      if (resolution === "oops") counters.falseFaultsOops++;
      else if (fault === OK) counters.falseFaultsGranted++;
      if (fault !== OK) {
        counters.brokenAccesses++;
        if (resolution === "oops") counters.oopses++;
        return;
      }
    }
    if (write && machine.lastPfn !== mapping.pfns[pageIndex]) {
      ledger.recordUnintendedWrite({
        cpu,
        time: machine.now(cpu),
        pfn: machine.lastPfn,
        intendedPfn: mapping.pfns[pageIndex],
        operation: `legitimate write through handle ${mapping.handle}`,
      });
    }
  };

  /**
   * A read through the direct map with no map call (page_address(), or a page-table walker
   * reading a table page): legitimate, so a fault is a false fault; unresolved, it breaks.
   */
  const directRead = (cpu: number, sim: SimThread, pfn: number) => {
    counters.directReads++;
    if (!machine.inDirectMap(pfn)) {
      highRead(cpu, sim, pfn);
      return;
    }
    let fault = machine.access(cpu, pfn, READ);
    if (fault === OK) return;
    counters.falseFaults++;
    const resolution = handleFault(cpu, sim.thread, pfn, false, fault);
    if (resolution === "retry") fault = machine.access(cpu, pfn, READ);
    if (resolution === "oops") counters.falseFaultsOops++;
    else if (fault === OK) counters.falseFaultsGranted++;
    if (fault !== OK) {
      counters.brokenAccesses++;
      counters.brokenDirectReads++;
      if (resolution === "oops") counters.oopses++;
    }
  };

  /**
   * The same read of a high page (HIGHMEM machine), which has no page_address(): 6.1 reaches
   * it through kmap_atomic(), a kmap_local fixmap slot (pte_offset_map() with CONFIG_HIGHPTE,
   * include/linux/pgtable.h). The slot is taken and released around the read.
   */
  const highRead = (cpu: number, sim: SimThread, pfn: number) => {
    const vpn = machine.kmapLocalPush(sim.thread, pfn, PAGE_KERNEL);
    let fault = vpn < 0 ? FAULT_NOT_PRESENT : machine.access(cpu, vpn, READ);
    if (vpn >= 0 && fault !== OK) {
      counters.falseFaults++;
      const resolution = handleFault(cpu, sim.thread, vpn, false, fault);
      if (resolution === "retry") fault = machine.access(cpu, vpn, READ);
      if (resolution === "oops") counters.oopses++;
    }
    if (vpn >= 0) machine.kmapLocalPop(sim.thread, vpn);
    if (fault !== OK) {
      counters.brokenAccesses++;
      counters.brokenDirectReads++;
    }
  };

  const handleFault = (cpu: number, thread: Thread, vpn: number, write: boolean, fault: number) => {
    machine.exceptionEnter(cpu);
    const event: FaultEvent = {
      cpu,
      thread,
      vpn,
      write,
      reason: FAULT_NAMES[fault] as FaultEvent["reason"],
    };
    const resolution = hooks.onFault ? hooks.onFault(event) : "oops";
    machine.exceptionExit(cpu);
    if (resolution === "retry") grantedThreads.add(thread);
    return resolution;
  };

  /** A stray access: not through the API, outcome classified against its target page. */
  const stray = (
    cls: StrayClass,
    cpu: number,
    vpn: number,
    targetPfn: number,
    write: boolean,
    unmapped?: Unmapped,
  ) => {
    const outcome = coverage.get(cls)!;
    outcome.injected++;
    const throughStaleEntry = recordLimit > 0 && machine.staleTranslation(cpu, vpn);
    ledger.muted = true;
    const thread = machine.current[cpu];
    let fault = machine.access(cpu, vpn, write ? WRITE : READ);
    const faulted = fault !== OK;
    if (fault !== OK && fault !== FAULT_NOT_PRESENT && hooks.onFault) {
      // The kernel's fault handler runs for strays too: a relaxed PKS mode grants access.
      const resolution = handleFault(cpu, thread, vpn, write, fault);
      if (resolution === "retry") fault = machine.access(cpu, vpn, write ? WRITE : READ);
    }
    ledger.muted = false;
    if (faulted) {
      counters.faultedStrays++;
      outcome.faulted++;
    }
    if (faulted && write) {
      // Caught: the fault (an oops, or a relaxed mode's warning) names the CPU and caller.
      counters.caught++;
      // An oops reports every catch; a handler that lets the write through (PKS relaxed
      // mode) reports with WARN_ONCE, once per boot however many it catches.
      if (fault !== OK) counters.caughtOops++;
      else counters.caughtGranted++;
      const during = lastOpKind[cpu];
      const key = `${cpu}|${cls}|${during}`;
      const entry = catches.get(key);
      if (entry) entry.count++;
      else catches.set(key, { cpu, stray: cls, during, count: 1, firstTime: machine.now(cpu) });
    }
    const result =
      fault !== OK ? "blocked" : machine.lastPfn === targetPfn ? "corrupted" : "redirected";
    if (strayLog.length < recordLimit) {
      let windowOpen = false;
      for (const mapping of live.values()) {
        if (mapping.thread === thread) {
          windowOpen = true;
          break;
        }
      }
      strayLog.push({
        cls,
        cpu,
        time: machine.now(cpu),
        write,
        outcome: result,
        faulted,
        windowOpen,
        purgesSinceUnmap: unmapped ? ledger.events[Ev.vmap_purges] - unmapped.purges : undefined,
        throughStaleEntry,
      });
    }
    if (result === "blocked") outcome.blocked++;
    else if (result === "corrupted") outcome.corrupted++;
    else {
      outcome.redirected++;
      if (write) {
        ledger.recordUnintendedWrite({
          cpu,
          time: machine.now(cpu),
          pfn: machine.lastPfn,
          intendedPfn: targetPfn,
          operation: `stray ${cls}`,
        });
      }
    }
  };

  /** A protected region page to aim at (-1 when none is protected right now). */
  const regionPfn = (rng: Rng, sim: SimThread) => {
    // One draw whatever is protected right now, so the schedule does not depend on it.
    const u = rng.float();
    if (!owned) return region.pfns[Math.floor(u * region.pfns.length)];
    // While pages move in and out of protection, a stray needs a protected page. Whether it
    // has one is decided by the thread's own stream (the pages it gave to protection), not
    // by how the threads interleaved: the same strays for every strategy.
    if (sim.protectedPages <= 0 || owned.size === 0) return -1;
    return region.pfns[owned.list[Math.floor(u * owned.size)]];
  };

  /** Threads a fault handler granted access to (relaxed PKS mode). */
  const grantedThreads = new Set<Thread>();
  const supportsScope = (scope: Scope) =>
    scope === "local"
      ? spec.strategy.supports.local
      : scope === "global"
        ? spec.strategy.supports.global
        : spec.strategy.supports.longTerm;

  /**
   * After an unmap, the unmapped pages must be protected again on the unmapping CPU, unless
   * the strategy declares otherwise or the same thread still holds another mapping there
   * (PKS lifts a key for the whole thread while any of its mappings is open).
   */
  const checkProtectionBack = (cpu: number, thread: Thread, gone: LiveMapping) => {
    if (!spec.strategy.restoresProtection || machine.current[cpu] !== thread) return;
    // A fault handler that granted this thread access (PKS relaxed mode) lifted protection
    // on purpose until the thread's own next restore: not a violation of the strategy.
    if (grantedThreads.has(thread)) return;
    for (const other of live.values()) if (other.thread === thread) return;
    if (thread.exceptionPkrs.length > 0) return;
    const kind = region.keyMode === "access-disable" ? READ : WRITE;
    gone.pfns.forEach((pfn, i) => {
      if (owned && owned.position[gone.firstPage + i] < 0) return; // not protected now
      if (machine.probeAccess(cpu, pfn, kind) === OK) {
        violation(
          `protection not back after unmap of handle ${gone.handle}: CPU ${cpu} can ${kind === READ ? "read" : "write"} pfn ${pfn} through the direct map`,
        );
      }
    });
  };

  /** Tracks which region pages are protected while the workload moves them (xpfo-churn). */
  const setOwned = (page: number, count: number, protect: boolean) => {
    if (!owned) {
      // First protect/release: from now on only pages given to protection are targets.
      const pages = region.pfns.length;
      owned = { list: new Int32Array(pages), position: new Int32Array(pages).fill(-1), size: 0 };
    }
    for (let p = page; p < page + count; p++) {
      const at = owned.position[p];
      if (protect && at < 0) {
        owned.list[owned.size] = p;
        owned.position[p] = owned.size++;
      } else if (!protect && at >= 0) {
        const moved = owned.list[--owned.size];
        owned.list[at] = moved;
        owned.position[moved] = at;
        owned.position[p] = -1;
      }
    }
  };

  /**
   * Injects one stray drawn from `sim`'s schedule, at a legitimate page access of
   * `through` (the mapping the stream accesses; undefined when the strategy refused it).
   * Every class applies at a page access except the two that need an earlier unmap by this
   * thread's stream; those count as not applicable, the same for every strategy. Targets
   * the strategy never mapped are reached through their direct-map addresses.
   */
  const injectStray = (
    cpu: number,
    sim: SimThread,
    through: LiveMapping | undefined,
    intendedPfns: readonly number[] | undefined,
  ) => {
    const rng = sim.strayRng;
    const cls =
      strayMix.length === 1 ? strayMix[0] : strayMix[Math.floor(rng.float() * strayMix.length)];
    const u = rng.float();
    // Window classes need the access's mapping; the unmap classes an unmap of an earlier
    // workload operation (within the first one, how soon a stream unmaps depends on how
    // the API lets it bracket). Both follow the stream alone.
    const needsWindow = cls === "window-same-cpu" || cls === "overflow";
    const needsUnmap = cls === "use-after-unmap" || cls === "cross-cpu-stale";
    if ((needsWindow && !intendedPfns) || (needsUnmap && sim.completed === 0)) {
      counters.strayNotApplicable++;
      return;
    }
    switch (cls) {
      case "wild-direct":
      case "stray-read": {
        const target = regionPfn(rng, sim);
        const from = Math.floor(u * machine.cpus);
        if (target < 0) {
          counters.strayNotApplicable++;
          return;
        }
        stray(cls, from, target, target, cls === "wild-direct");
        return;
      }
      case "window-same-cpu": {
        const target = regionPfn(rng, sim);
        if (target < 0) {
          counters.strayNotApplicable++;
          return;
        }
        stray(cls, cpu, target, target, true);
        return;
      }
      case "overflow": {
        // Just past the end of the range the stream maps here.
        const pfns = intendedPfns as readonly number[];
        const lastPfn = pfns[pfns.length - 1];
        const vpn = through
          ? through.mapping.vpns[through.mapping.vpns.length - 1] + 1
          : lastPfn + 1;
        stray(cls, cpu, vpn, lastPfn + 1, true);
        return;
      }
      case "use-after-unmap": {
        const gone = sim.unmapped[sim.unmapped.length - 1];
        if (!gone) {
          counters.strayNotApplicable++;
          return;
        }
        const index = Math.floor(u * gone.vpns.length);
        stray(cls, gone.cpu, gone.vpns[index], gone.pfns[index], true, gone);
        return;
      }
      case "cross-cpu-stale": {
        // Any of the thread's recent unmaps: an alias another CPU may still cache.
        const gone = sim.unmapped[Math.floor(rng.float() * sim.unmapped.length)];
        if (!gone || machine.cpus < 2) {
          counters.strayNotApplicable++;
          return;
        }
        const others = gone.users.filter((user) => user !== gone.cpu);
        let from: number;
        if (others.length > 0) from = others[Math.floor(u * others.length)];
        else {
          from = Math.floor(u * (machine.cpus - 1));
          if (from >= gone.cpu) from++;
        }
        const index = Math.floor(rng.float() * gone.vpns.length);
        stray(cls, from, gone.vpns[index], gone.pfns[index], true, gone);
        return;
      }
    }
  };

  /** A direct-map "mapping" going out of use: its pages through their direct addresses. */
  const rememberDirectUnmap = (sim: SimThread, pfns: number[], cpu: number) =>
    rememberUnmap(sim, {
      vpns: pfns,
      pfns,
      cpu,
      users: [cpu],
      purges: ledger.events[Ev.vmap_purges],
    });

  /** Keeps a thread's last RECENT_UNMAPS unmaps for the unmap stray classes. */
  const rememberUnmap = (sim: SimThread, gone: Unmapped) => {
    sim.unmapped.push(gone);
    if (sim.unmapped.length > RECENT_UNMAPS) sim.unmapped.shift();
  };

  /**
   * A point of the stream where a stray may be injected: each legitimate page access (with
   * the mapping it goes through and the pages the stream mapped), each compute operation
   * and each page move. The same points for every strategy of a workload.
   */
  const strayPoint = (
    cpu: number,
    sim: SimThread,
    through?: LiveMapping,
    intendedPfns?: readonly number[],
  ) => {
    if (strayProbability > 0 && sim.strayRng.chance(strayProbability)) {
      injectStray(cpu, sim, through, intendedPfns);
    }
  };

  // ---------------------------------------------------------------------------------------
  // Kernel entry and process lifetime (issue 18): user address spaces whose page-table
  // pages are region pages, so every PTE write goes through the strategy's write window.

  /** Region pages not holding a page table, taken lowest first. */
  const ptFree: number[] = [];
  for (let page = region.pfns.length - 1; page >= 0; page--) ptFree.push(page);
  let ptHandle = -1;
  const pteWriteId = machine.parameterId("pte_write_cycles");
  const pageFreeId = machine.parameterId("page_free_cycles");
  const bulkCallId = machine.parameterId("page_alloc_bulk_call_cycles");
  const bulkPageId = machine.parameterId("page_alloc_bulk_page_cycles");
  const switchId = machine.parameterId("context_switch_cycles");

  /**
   * One write window on page-table page `page`: map, write the `ptes` PTE slots from `slot`
   * (of which `writes` are changed, by default all), unmap. PTE updates run under the
   * page-table lock (pte_offset_map_lock in do_anonymous_page, copy_pte_range,
   * zap_pte_range): atomic; only zeroing a new table (pte_alloc_one, GFP_KERNEL) may sleep.
   */
  const ptWrite = (
    cpu: number,
    sim: SimThread,
    page: number,
    slot: number,
    ptes: number,
    writes = ptes,
    context: "atomic" | "sleepable" = "atomic",
  ) => {
    if (ptes <= 0) return;
    const kind = lastOpKind[cpu];
    const handle = ptHandle--;
    execute(cpu, sim, {
      kind: "map",
      handle,
      page,
      count: 1,
      intent: "write",
      scope: "local",
      context,
    });
    execute(cpu, sim, {
      kind: "access",
      handle,
      offset: slot * PTE_BYTES,
      length: Math.min(ptes, PTRS_PER_PTE - slot) * PTE_BYTES,
      write: true,
    });
    execute(cpu, sim, { kind: "unmap", handle });
    ledger.count(Ev.pte_writes, writes);
    ledger.charge(cpu, Cat.pte_write, pteWriteId, writes);
    lastOpKind[cpu] = kind;
  };

  /** A new page-table page (pte_alloc_one: an order-0 page, zeroed inside a window). */
  const allocTable = (cpu: number, sim: SimThread): number => {
    const page = ptFree.pop();
    if (page === undefined) {
      throw new Error(
        `the protected region (${region.pfns.length} pages) has no page left for another page table; enlarge the workload's pages parameter`,
      );
    }
    ledger.count(Ev.pt_allocs);
    ledger.charge(cpu, Cat.pt_alloc, machine.parameterId("page_alloc_cycles"));
    ptWrite(cpu, sim, page, 0, PTRS_PER_PTE, PTRS_PER_PTE, "sleepable");
    return page;
  };

  const freeTable = (cpu: number, page: number) => {
    ledger.charge(cpu, Cat.page_alloc, pageFreeId);
    ptFree.push(page);
  };

  /** The thread's address space, made (with its pgd) on first use. */
  const ownMm = (cpu: number, sim: SimThread): Mm => {
    const thread = sim.thread;
    if (thread.mm < 0) {
      thread.mm = 1_000_000_000 + thread.id;
      machine.mm(thread.mm).users++;
      machine.switchMm(cpu, thread);
    }
    return withPgd(cpu, sim, machine.mm(thread.mm));
  };

  const withPgd = (cpu: number, sim: SimThread, mm: Mm): Mm => {
    if (mm.pgd < 0) mm.pgd = allocTable(cpu, sim);
    return mm;
  };

  /** The table for user page `page` of `mm`, allocated when missing (__pte_alloc). */
  const tableOf = (cpu: number, sim: SimThread, mm: Mm, page: number): number => {
    const index = Math.floor(page / PTRS_PER_PTE);
    let table = mm.tables.get(index);
    if (table === undefined) {
      table = allocTable(cpu, sim);
      mm.tables.set(index, table);
    }
    return table;
  };

  /** Runs `work` as another process (a forked child) with address space `mmId` on `cpu`. */
  const asProcess = (cpu: number, mmId: number, work: () => void) => {
    const stand = new ThreadClass(-1, cpu);
    stand.mm = mmId;
    machine.switchMm(cpu, stand);
    work();
    machine.switchMm(cpu, machine.current[cpu]);
  };

  /** exit_mmap(): zap every table in one window each, full flush (tables freed), free them. */
  const teardown = (cpu: number, sim: SimThread, mmId: number) => {
    const mm = machine.mms.get(mmId);
    if (mm === undefined) return;
    ledger.count(Ev.exits);
    for (const [index, table] of mm.tables) {
      let first = PTRS_PER_PTE;
      let last = -1;
      let present = 0;
      for (let slot = 0; slot < PTRS_PER_PTE; slot++) {
        if (mm.ptes.has(index * PTRS_PER_PTE + slot)) {
          if (slot < first) first = slot;
          last = slot;
          present++;
        }
      }
      if (last >= 0) ptWrite(cpu, sim, table, first, last - first + 1, present);
    }
    machine.flushTlbMmRange(cpu, mmId, Number.POSITIVE_INFINITY, true);
    for (const table of mm.tables.values()) freeTable(cpu, table);
    if (mm.pgd >= 0) freeTable(cpu, mm.pgd);
    machine.dropMm(mmId);
  };

  /** The thread stops using its address space; the last user tears it down. */
  const releaseMm = (cpu: number, sim: SimThread) => {
    const thread = sim.thread;
    if (thread.mm < 0) return;
    const mm = machine.mms.get(thread.mm);
    const id = thread.mm;
    thread.mm = -1;
    machine.switchMm(cpu, thread);
    if (mm && --mm.users <= 0) teardown(cpu, sim, id);
  };

  /** Open kernel entries of a thread whose stream ended are closed, innermost first. */
  const closeEntries = (cpu: number, sim: SimThread) => {
    while (sim.entries.length > 0) {
      if (sim.entries.pop() !== "syscall") machine.exceptionExit(cpu);
    }
  };

  /** exc_page_fault -> handle_mm_fault on `mm` (see the fault operation). */
  const fault = (
    cpu: number,
    sim: SimThread,
    op: Extract<Operation, { kind: "fault" }>,
    mm: Mm,
  ) => {
    machine.exceptionEnter(cpu);
    ledger.count(Ev.user_faults);

    const table = tableOf(cpu, sim, mm, op.page);
    const slot = op.page % PTRS_PER_PTE;
    const count = Math.max(1, Math.min(op.ptes ?? 1, PTRS_PER_PTE - slot));
    const anon = op.anon ? UPTE_ANON : 0;
    for (let i = 0; i < count; i++) {
      const page = op.page + i;
      const old = mm.ptes.get(page) ?? 0;
      const wanted = i === 0 && op.write ? UPTE_PRESENT | UPTE_WRITE | UPTE_DIRTY : UPTE_PRESENT;
      mm.ptes.set(page, old | wanted | anon);
    }
    if (op.cycles && op.cycles > 0) ledger.chargeDerived(cpu, Cat.work, op.cycles);
    ptWrite(cpu, sim, table, slot, count);
    machine.exceptionExit(cpu);
  };

  const lifetime = (cpu: number, sim: SimThread, op: Operation) => {
    const thread = sim.thread;
    switch (op.kind) {
      case "kernel-entry": {
        sim.entries.push(op.via);
        if (op.via === "syscall") machine.syscallEnter(cpu);
        else if (op.via === "exception") machine.exceptionEnter(cpu);
        else machine.interruptEnter(cpu);
        return;
      }
      case "kernel-exit": {
        const via = sim.entries.pop();
        if (via === undefined) {
          if (checking) violation(`kernel-exit without kernel-entry on CPU ${cpu}`);
          return;
        }
        if (via !== "syscall") machine.exceptionExit(cpu);
        return;
      }
      case "user": {
        if (checking) {
          if (sim.entries.length > 0) {
            violation(`user time on CPU ${cpu} inside an open ${sim.entries.at(-1)} entry`);
          }
          for (const mapping of live.values()) {
            if (mapping.thread === thread) {
              violation(
                `user time on CPU ${cpu} while kernel mapping handle ${mapping.handle} is live`,
              );
              break;
            }
          }
        }
        machine.userTime(cpu, op.cycles);
        return;
      }
      case "fault": {
        if (op.mm !== undefined && op.mm !== thread.mm) {
          const id = op.mm;
          asProcess(cpu, id, () => fault(cpu, sim, op, withPgd(cpu, sim, machine.mm(id))));
        } else {
          fault(cpu, sim, op, ownMm(cpu, sim));
        }
        return;
      }
      case "touch": {
        const mm = ownMm(cpu, sim);
        const pte = mm.ptes.get(op.page) ?? 0;
        if (pte & UPTE_PRESENT && (!op.write || pte & UPTE_WRITE)) return;
        fault(cpu, sim, { ...op, kind: "fault" }, mm);
        return;
      }
      case "use-mm": {
        if (thread.mm === op.mm) return;
        releaseMm(cpu, sim);
        thread.mm = op.mm;
        withPgd(cpu, sim, machine.mm(op.mm)).users++;
        machine.switchMm(cpu, thread);
        return;
      }
      case "fork": {
        ledger.count(Ev.forks);
        const parent = ownMm(cpu, sim);
        if (machine.mms.has(op.child)) {
          throw new Error(`fork: address space ${op.child} already exists`);
        }
        const child = withPgd(cpu, sim, machine.mm(op.child));
        for (const [index, table] of parent.tables) {
          let copied = 0;
          let copies = 0;
          let first = -1;
          let protectFirst = -1;
          let protectLast = -1;
          let protects = 0;
          for (let slot = 0; slot < PTRS_PER_PTE; slot++) {
            const page = index * PTRS_PER_PTE + slot;
            const pte = parent.ptes.get(page);
            // copy_page_range skips VMAs without anon_vma: file PTEs are refaulted.
            if (pte === undefined || (pte & UPTE_ANON) === 0) continue;
            if (first < 0) first = slot;
            copied = slot - first + 1;
            copies++;
            let next = pte;
            if (pte & UPTE_WRITE) {
              next = pte & ~UPTE_WRITE; // COW: both sides read-only
              parent.ptes.set(page, next);
              if (protectFirst < 0) protectFirst = slot;
              protectLast = slot;
              protects++;
            }
            child.ptes.set(page, next);
          }
          if (copied === 0) continue;
          const childTable = allocTable(cpu, sim);
          child.tables.set(index, childTable);
          ptWrite(cpu, sim, childTable, first, copied, copies);
          if (protectLast >= 0)
            ptWrite(cpu, sim, table, protectFirst, protectLast - protectFirst + 1, protects);
        }
        machine.flushTlbMmRange(cpu, parent.id, Number.POSITIVE_INFINITY);
        return;
      }
      case "exec": {
        ledger.count(Ev.execs);
        let mm: Mm;
        if (op.from !== undefined && op.from !== thread.mm) {
          // A forked child's exec: it replaces the child's address space, not the caller's.
          const from = op.from;
          asProcess(cpu, from, () => teardown(cpu, sim, from));
          mm = withPgd(cpu, sim, machine.mm(op.mm));
        } else {
          releaseMm(cpu, sim);
          thread.mm = op.mm;
          mm = withPgd(cpu, sim, machine.mm(op.mm));
          mm.users++;
          machine.switchMm(cpu, thread);
        }
        // setup_arg_pages/copy_strings: the stack's table and its first PTEs.
        const stack = STACK_PAGE;
        const ptes = Math.max(1, op.ptes ?? 1);
        const build = () => {
          const table = tableOf(cpu, sim, mm, stack);
          for (let i = 0; i < ptes; i++) {
            mm.ptes.set(stack + i, UPTE_PRESENT | UPTE_WRITE | UPTE_DIRTY | UPTE_ANON);
          }
          ptWrite(cpu, sim, table, stack % PTRS_PER_PTE, ptes);
        };
        if (mm.id === thread.mm) build();
        else asProcess(cpu, mm.id, build);
        return;
      }
      case "exit": {
        const id = op.mm ?? thread.mm;
        if (id === thread.mm) {
          releaseMm(cpu, sim);
          return;
        }
        // A forked child's exit: it runs on this CPU between two context switches.
        ledger.count(Ev.context_switches, 2);
        ledger.charge(cpu, Cat.context_switch, switchId, 2);
        asProcess(cpu, id, () => teardown(cpu, sim, id));
        return;
      }
      case "zap": {
        const mm = ownMm(cpu, sim);
        if (op.mode === "clear") {
          let cleared = 0;
          let page = op.page;
          const end = op.page + op.count;
          while (page < end) {
            const index = Math.floor(page / PTRS_PER_PTE);
            const stop = Math.min(end, (index + 1) * PTRS_PER_PTE);
            let first = -1;
            let last = -1;
            let here = 0;
            for (let p = page; p < stop; p++) {
              if (mm.ptes.delete(p)) {
                if (first < 0) first = p;
                last = p;
                here++;
              }
            }
            const table = mm.tables.get(index);
            if (table !== undefined && last >= 0) {
              ptWrite(cpu, sim, table, first % PTRS_PER_PTE, last - first + 1, here);
              cleared += here;
            }
            page = stop;
          }
          if (cleared > 0) machine.flushTlbMmRange(cpu, mm.id, op.count);
          return;
        }
        for (let page = op.page; page < op.page + op.count; page++) {
          const pte = mm.ptes.get(page);
          if (pte === undefined || (pte & UPTE_DIRTY) === 0) continue;
          mm.ptes.set(page, pte & ~(UPTE_WRITE | UPTE_DIRTY));
          const table = mm.tables.get(Math.floor(page / PTRS_PER_PTE));
          // ptep_clear_flush + set_pte_at(pte_wrprotect(pte_mkclean)): two writes of one PTE.
          if (table !== undefined) {
            ptWrite(cpu, sim, table, page % PTRS_PER_PTE, 1);
            ledger.count(Ev.pte_writes);
            ledger.charge(cpu, Cat.pte_write, pteWriteId);
          }
          machine.flushTlbMmRange(cpu, mm.id, 1);
        }
        return;
      }
    }
  };

  const execute = (cpu: number, sim: SimThread, op: Operation) => {
    siteOperation = op;
    siteCpu = cpu;
    const thread = sim.thread;
    lastOpKind[cpu] = op.kind;
    switch (op.kind) {
      case "map": {
        const pfns: number[] = [];
        for (let i = 0; i < op.count; i++) pfns.push(region.pfns[op.page + i]);
        counters.maps++;
        if (op.count > 1) counters.multiPageMaps++;
        if (op.scope === "local") counters.localMaps++;
        // What the stream mapped, whether or not the strategy can serve it: other threads'
        // waits and the stray schedule follow the stream, not the strategy.
        intendedLive.set(op.handle, pfns);
        const outcome = hooks.onMap
          ? hooks.onMap({
              cpu,
              thread,
              pfns,
              intent: op.intent,
              scope: op.scope,
              context: op.context ?? "sleepable",
            })
          : { kind: "unsupported" as const, reason: "strategy has no map hook" };
        if (outcome.kind === "unsupported") {
          counters.unsupportedMaps++;
          unsupportedReasons.add(`${op.scope}: ${outcome.reason}`);
          return;
        }
        const allocated = op.allocate === true;
        if (allocated) {
          // vmalloc(): __vmalloc_area_node() -> vm_area_alloc_pages() takes order-0 pages
          // with alloc_pages_bulk_array*(), at most 100 per call, after the area is
          // allocated and outside every vmap lock (mm/vmalloc.c, 6.1).
          for (let left = op.count; left > 0; left -= VMALLOC_BULK_MAX) {
            ledger.charge(cpu, Cat.page_alloc, bulkCallId);
          }
          ledger.charge(cpu, Cat.page_alloc, bulkPageId, op.count);
        }
        live.set(op.handle, {
          allocated,
          firstPage: op.page,
          handle: op.handle,
          mapping: outcome.value,
          pfns,
          thread,
          cpu,
          users: new Set([cpu]),
          scope: op.scope,
        });
        return;
      }
      case "access": {
        const pfns = intendedLive.get(op.handle);
        if (!pfns) return; // not a mapping of the stream (a workload bug); nothing to do
        const mapping = live.get(op.handle);
        const first = Math.floor(op.offset / 4096);
        const last = Math.floor((op.offset + Math.max(1, op.length) - 1) / 4096);
        for (let page = first; page <= last && page < pfns.length; page++) {
          if (mapping) legitimateAccess(cpu, sim, mapping, page, op.write);
          else counters.skippedAccesses++; // work the refused map leaves undone
          strayPoint(cpu, sim, mapping, pfns);
        }
        return;
      }
      case "direct-read": {
        const first = op.page + Math.floor(op.offset / 4096);
        const last = op.page + Math.floor((op.offset + Math.max(1, op.length) - 1) / 4096);
        // The pages this page_address() reader reads: its "window" for the stray schedule,
        // which must meet the same strays as a caller that maps them (same points).
        const pfns: number[] = [];
        for (let page = first; page <= last && page < region.pfns.length; page++) {
          pfns.push(region.pfns[page]);
        }
        for (const pfn of pfns) {
          directRead(cpu, sim, pfn);
          strayPoint(cpu, sim, undefined, pfns);
        }
        // The pointer goes out of use: later unmap-class strays may aim through it.
        if (pfns.length > 0) rememberDirectUnmap(sim, pfns, cpu);
        return;
      }
      case "unmap": {
        const pfns = intendedLive.get(op.handle);
        if (!pfns) return;
        intendedLive.delete(op.handle);
        const mapping = live.get(op.handle);
        if (!mapping) {
          // Refused map: later strays at "its" address go through the direct map.
          rememberDirectUnmap(sim, pfns, cpu);
          return;
        }
        live.delete(op.handle);
        const unmapped = hooks.onUnmap?.({ cpu, thread, mapping: mapping.mapping });
        if (unmapped && unmapped.kind === "unsupported") {
          counters.unsupportedUnmaps++;
          unsupportedReasons.add(`unmap: ${unmapped.reason}`);
        } else if (checking) {
          checkProtectionBack(cpu, thread, mapping);
        }
        if (mapping.allocated) {
          // vfree() -> __vunmap(): after the mapping is gone, __free_pages() per page.
          ledger.charge(cpu, Cat.page_alloc, pageFreeId, mapping.pfns.length);
        }
        rememberUnmap(sim, {
          vpns: mapping.mapping.vpns,
          pfns: mapping.pfns,
          cpu,
          users: [...mapping.users],
          purges: ledger.events[Ev.vmap_purges],
        });
        return;
      }
      case "compute": {
        strayPoint(cpu, sim);
        if (op.cycles > 0) ledger.chargeDerived(cpu, Cat.work, op.cycles);
        for (let i = 0; i < op.touches; i++) {
          // Unprotected kernel memory anywhere in the direct map (never a region page), so
          // that direct-map fragmentation around the region costs TLB misses here too.
          let pfn = sim.computeRng.int(0, machine.pages - 1);
          while (machine.isWatched(pfn)) pfn = sim.computeRng.int(0, machine.pages - 1);
          machine.access(cpu, pfn, READ);
        }
        return;
      }
      case "yield": {
        const queue = runQueues[cpu];
        const others = queue.filter((other) => other !== sim && runnable(other, cpu));
        if (others.length > 0) switchTo(cpu, others[0].thread);
        // Rotate so that round robin continues after this thread.
        queue.push(queue.splice(queue.indexOf(sim), 1)[0]);
        return;
      }
      case "sleep": {
        sim.sleepingUntil = machine.now(cpu) + op.cycles;
        return;
      }
      case "wait-for": {
        if (!intendedLive.has(op.handle)) sim.waitingFor = op.handle;
        return;
      }
      case "migrate": {
        const target = op.cpu % machine.cpus;
        if (target === cpu) return;
        if (thread.migrateDisable > 0) {
          // migrate_disable(): migrate_disable_switch() pins the task's cpus_ptr to this
          // CPU and migration_cpu_stop() skips a task with is_migration_disabled(), so it
          // is simply not moved: no switch away and back (kernel/sched/core.c, 6.1).
          ledger.count(Ev.migrations_deferred);
          return;
        }
        // The thread must be off the CPU to move: switch to another thread or idle.
        const queue = runQueues[cpu];
        const next = queue.find((other) => other !== sim && runnable(other, cpu));
        switchTo(cpu, next ? next.thread : idle[cpu]);
        if (machine.migrate(thread, target)) {
          queue.splice(queue.indexOf(sim), 1);
          runQueues[target].push(sim);
          // The target may have run out of work and left the scheduling set.
          active.add(target);
          hooks.onMigrate?.(thread, cpu, target);
        } else {
          switchTo(cpu, thread);
        }
        return;
      }
      case "protect-pages":
      case "release-pages": {
        const pfns: number[] = [];
        for (let i = 0; i < op.count; i++) pfns.push(region.pfns[op.page + i]);
        const hook = op.kind === "protect-pages" ? hooks.onPagesProtect : hooks.onPagesRelease;
        const outcome = hook?.(cpu, pfns);
        if (outcome && outcome.kind === "unsupported") {
          counters.refusedPageMoves++;
          unsupportedReasons.add(outcome.reason);
        }
        setOwned(op.page, op.count, op.kind === "protect-pages");
        sim.protectedPages += op.kind === "protect-pages" ? op.count : -op.count;
        strayPoint(cpu, sim);
        return;
      }
      case "complete":
        counters.operations++;
        sim.completed++;
        return;
      default:
        lifetime(cpu, sim, op);
        return;
    }
  };

  // Main loop: always advance the CPU with the earliest clock that has work (ties: the CPU
  // that joined the scheduling set first).
  const active = new CpuQueue(machine.cpus, ledger.clock);
  for (let cpu = 0; cpu < machine.cpus; cpu++) if (runQueues[cpu].length > 0) active.add(cpu);
  // The main loop in a function of its own: V8 optimizes (and, after a deoptimization,
  // re-optimizes) it without the run's set-up code around it.
  const mainLoop = (): boolean => {
    while (active.size > 0) {
      const cpu = active.earliest();
      const earliest = machine.now(cpu);
      if (machine.hasQueuedWork(cpu)) {
        // Deferred kernel work (schedule_work(), e.g. vmalloc's drain_vmap_work) runs in
        // this CPU's kworker, a thread of its own, at the next operation boundary.
        switchTo(cpu, machine.kworker(cpu));
        machine.runQueuedWork(cpu);
        continue;
      }
      const sim = pickThread(cpu);
      if (!sim) {
        const queue = runQueues[cpu];
        let allDone = true;
        // Idle until the next wake-up (or a little while, if waiting on another thread).
        let wake = Number.POSITIVE_INFINITY;
        for (const other of queue) {
          if (other.done) continue;
          allDone = false;
          if (other.sleepingUntil > earliest && other.sleepingUntil < wake)
            wake = other.sleepingUntil;
        }
        if (allDone) {
          active.removeEarliest();
          continue;
        }
        const waitingOnly = !Number.isFinite(wake);
        if (waitingOnly && active.every((other) => other === cpu || !pickThread(other))) {
          // Everyone is waiting for a mapping nobody will make.
          for (const other of queue) other.done = true;
          continue;
        }
        ledger.clock[cpu] = waitingOnly ? earliest + 1000 : wake;
        continue;
      }
      if (machine.current[cpu] !== sim.thread) switchTo(cpu, sim.thread);
      sim.waitingFor = -1;
      const next = sim.ops.next();
      if (next.done) {
        sim.done = true;
        closeEntries(cpu, sim);
        continue;
      }
      if (++counters.executed > budget) {
        return false;
      }
      execute(cpu, sim, next.value);
    }
    return true;
  };
  if (!mainLoop()) {
    return {
      status: "failed",
      reason: `operation budget of ${budget} exceeded`,
      metrics: {},
      served: { ...NOTHING_SERVED },
    };
  }

  // Mappings still open at the end (e.g. long-term) are closed so that protection is back.
  for (const mapping of live.values()) {
    hooks.onUnmap?.({ cpu: mapping.thread.cpu, thread: mapping.thread, mapping: mapping.mapping });
  }
  machine.settleExposure();
  if (checking) {
    for (const [name, outcome] of coverage) {
      if (outcome.injected !== outcome.blocked + outcome.corrupted + outcome.redirected) {
        violation(
          `stray class ${name}: ${outcome.injected} injected but outcomes sum to ${outcome.blocked + outcome.corrupted + outcome.redirected}`,
        );
      }
    }
  }
  // The ledger's consistency is checked on every run, not only with checking on: it is cheap
  // (end of run) and catches costs charged outside the model (a plugin writing ledger arrays).
  for (const message of ledgerViolations(machine)) violation(message);

  const metrics: RunMetrics = {};
  const steadyCycles = ledger.totalCycles() - setup.total;
  const operations = Math.max(1, counters.operations);
  metrics["cost.total_cycles"] = steadyCycles;
  metrics["cost.cycles_per_op"] = steadyCycles / operations;
  const byCategory = ledger.byCategory();
  COST_CATEGORIES.forEach((name, index) => {
    metrics[`cost.cycles.${name}`] = byCategory[name] - setup.categories[index];
  });
  // How much of the steady-state cost rests on parameters of each confidence, and on
  // simulated time (lock spinning, IPI waits, the workload's own compute).
  const byConfidence = new Map<string, number>(CONFIDENCE_LEVELS.map((level) => [level, 0]));
  const byParameter = new Map<string, number>();
  ledger.parameters.forEach((source, id) => {
    const cycles = ledger.parameterCycles[id] - (setup.parameters[id] ?? 0);
    const level = source.parameter.confidence;
    byConfidence.set(level, (byConfidence.get(level) ?? 0) + cycles);
    if (cycles > 0) byParameter.set(source.name, (byParameter.get(source.name) ?? 0) + cycles);
  });
  for (const level of CONFIDENCE_LEVELS)
    metrics[`cost.confidence.${level}`] = byConfidence.get(level) ?? 0;
  metrics["cost.confidence.simulated"] = ledger.derivedCycles - setup.derived;
  for (const [name, cycles] of byParameter) metrics[`cost.param.${name}`] = cycles;
  const events = ledger.eventCounts();
  EVENT_NAMES.forEach((name, index) => {
    metrics[`events.${name}`] = events[name] - setup.events[index];
  });
  metrics["setup.cycles"] = setup.total;
  metrics["setup.shootdowns"] = setup.events[Ev.shootdowns];
  metrics["setup.ipis"] = setup.events[Ev.ipis];
  metrics["setup.direct_map_splits"] = setup.events[Ev.direct_map_splits];
  metrics["setup.pt_allocs"] = setup.events[Ev.pt_allocs];
  let injected = 0;
  let blocked = 0;
  for (const [name, outcome] of coverage) {
    metrics[`coverage.${name}.injected`] = outcome.injected;
    metrics[`coverage.${name}.blocked`] = outcome.blocked;
    metrics[`coverage.${name}.corrupted`] = outcome.corrupted;
    metrics[`coverage.${name}.redirected`] = outcome.redirected;
    metrics[`coverage.${name}.faulted`] = outcome.faulted;
    injected += outcome.injected;
    blocked += outcome.blocked;
  }
  metrics["coverage.injected"] = injected;
  metrics["coverage.not_applicable"] = counters.strayNotApplicable;
  metrics["coverage.blocked_ratio"] = injected > 0 ? blocked / injected : 0;
  metrics["coverage.caught_ratio"] = injected > 0 ? counters.faultedStrays / injected : 0;
  metrics["coverage.caught"] = counters.caught;
  metrics["coverage.caught_oops"] = counters.caughtOops;
  metrics["coverage.caught_granted"] = counters.caughtGranted;
  metrics["compat.false_faults"] = counters.falseFaults;
  metrics["compat.false_faults_granted"] = counters.falseFaultsGranted;
  metrics["compat.false_faults_oops"] = counters.falseFaultsOops;
  metrics["compat.broken_accesses"] = counters.brokenAccesses;
  metrics["compat.direct_reads"] = counters.directReads;
  metrics["compat.broken_direct_reads"] = counters.brokenDirectReads;
  metrics["compat.unsupported_maps"] = counters.unsupportedMaps;
  metrics["compat.unsupported_unmaps"] = counters.unsupportedUnmaps;
  metrics["compat.skipped_accesses"] = counters.skippedAccesses;
  metrics["compat.refused_page_moves"] = counters.refusedPageMoves;
  // Exposure: page-cycles over the protected page-time of the steady state (every region
  // page, on every CPU, from the workload's start to that CPU's last cycle).
  const exposure = machine.totalExposure();
  let cpuTime = 0;
  for (let cpu = 0; cpu < machine.cpus; cpu++) cpuTime += ledger.clock[cpu] - workloadStart;
  const pageTime = region.pfns.length * cpuTime;
  metrics["exposure.page_cycles"] = exposure;
  metrics["exposure.fraction"] = pageTime > 0 ? Math.min(1, exposure / pageTime) : 0;
  // Page-table pages stay allocated: setup's count towards the memory a strategy costs.
  metrics["memory.overhead_bytes"] = ledger.events[Ev.pt_allocs] * 4096;
  metrics["run.operations"] = counters.operations;
  metrics["run.maps"] = counters.maps;
  metrics["run.multi_page_maps"] = counters.multiPageMaps;
  metrics["run.local_maps"] = counters.localMaps;
  metrics["run.simulated_cycles"] = Math.max(...ledger.clock) - workloadStart;
  metrics["run.unintended_writes"] = ledger.unintendedWrites.length;
  const extra = hooks.onFinish?.() ?? {};
  for (const [name, value] of Object.entries(extra)) metrics[`strategy.${name}`] = value;
  const served: ServedCounts = {
    maps: counters.maps,
    refusedMaps: counters.unsupportedMaps,
    refusedUnmaps: counters.unsupportedUnmaps,
    brokenAccesses: counters.brokenAccesses,
    oopses: counters.oopses,
    skippedAccesses: counters.skippedAccesses,
    refusedPageMoves: counters.refusedPageMoves,
  };
  const status = runStatus(served);
  const caught = [...catches.values()].sort(
    (a, b) => a.cpu - b.cpu || a.stray.localeCompare(b.stray) || a.during.localeCompare(b.during),
  );
  return {
    status,
    reason: unsupportedReasons.size > 0 ? [...unsupportedReasons].sort().join("; ") : undefined,
    metrics,
    served,
    catches: caught,
    ...(checking || violations.length > 0 ? { violations } : {}),
    ...(recordLimit > 0 ? { strays: strayLog } : {}),
  };
}
