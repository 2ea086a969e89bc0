import type {
  FaultEvent,
  Mapping,
  OptionValues,
  ProtectedRegion,
  Scope,
  StrategyContext,
  StrategyHooks,
  StrategyModule,
} from "../strategies/api.ts";
import {
  type Operation,
  STRAY_CLASSES,
  type StrayClass,
  type WorkloadModule,
} from "../workloads/api.ts";
import { DEFAULT_STRAY_EVERY, parseStrayMix } from "../workloads/params.ts";
import { ledgerViolations } from "./invariants.ts";
import type { VmallocOptions } from "./kernel/vmalloc.ts";
import { Vmalloc } from "./kernel/vmalloc.ts";
import { Cat, COST_CATEGORIES, EVENT_NAMES, Ev } from "./ledger.ts";
import {
  FAULT_NAMES,
  FAULT_NOT_PRESENT,
  Machine,
  type MachineConfig,
  OK,
  READ,
  type Thread,
  WRITE,
} from "./machine.ts";
import { guardHooks, type HookSite, PluginError } from "./plugin-guard.ts";
import type { CostProfile } from "./profile.ts";
import { Rng } from "./rng.ts";

/** Everything that defines one simulated run (one cell of a comparison, one seed). */
export interface RunSpec {
  readonly machine: MachineConfig;
  readonly profile: CostProfile;
  readonly strategy: StrategyModule;
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

/** Result of one run. */
export interface RunResult {
  readonly status: "ok" | "unsupported" | "error";
  readonly reason?: string;
  readonly metrics: RunMetrics;
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
}

interface Unmapped {
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
  sleepingUntil: number;
  waitingFor: number;
  done: boolean;
}

/** Places the region in physical memory: one range, or scattered pages (seeded). */
export function placeRegion(
  pages: number,
  contiguous: boolean,
  physicalPages: number,
  rng: Rng,
): Int32Array {
  const pfns = new Int32Array(pages);
  if (pages > physicalPages - REGION_BASE_PFN) {
    throw new RangeError(`region of ${pages} pages does not fit in physical memory`);
  }
  if (contiguous) {
    for (let i = 0; i < pages; i++) pfns[i] = REGION_BASE_PFN + i;
    return pfns;
  }
  // Scattered: distinct pages spread over the memory above the first GiB.
  const span = physicalPages - REGION_BASE_PFN;
  const used = new Set<number>();
  for (let i = 0; i < pages; i++) {
    let pfn: number;
    do pfn = REGION_BASE_PFN + rng.int(0, span - 1);
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
  const region: ProtectedRegion = {
    pfns: placeRegion(regionSpec.pages, regionSpec.contiguous, machine.pages, placementRng),
    keyMode: regionSpec.keyMode,
    contiguous: regionSpec.contiguous,
    device: regionSpec.memory === "device",
  };
  machine.watch(region.pfns);

  // Strategy cost parameters enter the ledger with their provenance.
  const costIds = new Map<string, number>();
  for (const [name, cost] of Object.entries(spec.strategy.costs)) {
    const id = ledger.registerParameter(name, `strategy:${spec.strategy.name}`, {
      value: cost.value,
      unit: cost.unit,
      confidence: cost.confidence,
      source: cost.source,
      range: cost.range ? [cost.range[0], cost.range[1]] : undefined,
    });
    costIds.set(name, id);
  }
  let vmalloc: Vmalloc | undefined;
  const context: StrategyContext = {
    machine,
    region,
    options: spec.strategyOptions,
    vmalloc(options: VmallocOptions) {
      vmalloc ??= new Vmalloc(machine, options);
      return vmalloc;
    },
    charge(cpu, parameter, count = 1) {
      const id = costIds.get(parameter);
      if (id === undefined) {
        throw new Error(
          `strategy ${spec.strategy.name} charged undeclared cost parameter "${parameter}"`,
        );
      }
      ledger.charge(cpu, Cat.strategy, id, count);
    },
  };
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
    STRAY_CLASSES.map((name) => [name, { injected: 0, blocked: 0, corrupted: 0, redirected: 0 }]),
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
    directReads: 0,
    brokenDirectReads: 0,
    unsupportedMaps: 0,
    unsupportedUnmaps: 0,
    oopses: 0,
  };
  const unsupportedReasons = new Set<string>();

  const setup = hooks.onSetup?.(region);
  if (setup && setup.kind === "unsupported") {
    return { status: "unsupported", reason: setup.reason, metrics: {} };
  }
  // One-off cost of protecting the region (splits, flushes), included in the totals.
  const setupCycles = ledger.totalCycles();
  // Setup is boot-time work: every CPU starts the workload together when it is done, so
  // the CPU that did the setup does not start behind the others.
  machine.beginWorkload();

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
        strategyDirectMapReads: spec.strategy.directMapReads ?? false,
        region: regionSpec,
      })
      [Symbol.iterator]();
    const sim: SimThread = { thread, ops, sleepingUntil: 0, waitingFor: -1, done: false };
    simThreads.push(sim);
    runQueues[cpu].push(sim);
  }
  const simOf = new Map<Thread, SimThread>(simThreads.map((sim) => [sim.thread, sim]));
  // Idle threads the CPUs started with.
  const idle = machine.current.slice();

  const live = new Map<number, LiveMapping>();
  const recentlyUnmapped: Unmapped[] = [];
  const strayRng = Rng.derive(spec.seed, 2_000_003);
  const computeRng = Rng.derive(spec.seed, 3_000_007);
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
    (sim.waitingFor < 0 || live.has(sim.waitingFor));

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
    if (faulted) counters.faultedStrays++;
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
  const regionPfn = () => {
    if (!owned) return region.pfns[strayRng.int(0, region.pfns.length - 1)];
    if (owned.size === 0) return -1;
    return region.pfns[owned.list[strayRng.int(0, owned.size - 1)]];
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

  const injectStray = (cpu: number) => {
    const cls = strayMix.length === 1 ? strayMix[0] : strayRng.pick(strayMix);
    switch (cls) {
      case "wild-direct": {
        const target = regionPfn();
        if (target < 0) return;
        stray(cls, strayRng.int(0, machine.cpus - 1), target, target, true);
        return;
      }
      case "stray-read": {
        const target = regionPfn();
        if (target < 0) return;
        stray(cls, strayRng.int(0, machine.cpus - 1), target, target, false);
        return;
      }
      case "window-same-cpu": {
        // Only meaningful while the thread running on this CPU holds a mapping open.
        for (const mapping of live.values()) {
          if (mapping.thread !== machine.current[cpu]) continue;
          const target = regionPfn();
          if (target < 0) return;
          stray(cls, cpu, target, target, true);
          return;
        }
        return;
      }
      case "use-after-unmap": {
        if (recentlyUnmapped.length === 0) return;
        const gone = recentlyUnmapped[recentlyUnmapped.length - 1];
        const index = strayRng.int(0, gone.vpns.length - 1);
        stray(cls, gone.cpu, gone.vpns[index], gone.pfns[index], true, gone);
        return;
      }
      case "cross-cpu-stale": {
        if (recentlyUnmapped.length === 0 || machine.cpus < 2) return;
        const gone = recentlyUnmapped[strayRng.int(0, recentlyUnmapped.length - 1)];
        const others = gone.users.filter((user) => user !== gone.cpu);
        let from = others.length > 0 ? strayRng.pick(others) : strayRng.int(0, machine.cpus - 2);
        if (others.length === 0 && from >= gone.cpu) from++;
        const index = strayRng.int(0, gone.vpns.length - 1);
        stray(cls, from, gone.vpns[index], gone.pfns[index], true, gone);
        return;
      }
      case "overflow": {
        for (const mapping of live.values()) {
          if (mapping.thread !== machine.current[cpu]) continue;
          const vpns = mapping.mapping.vpns;
          const last = vpns[vpns.length - 1];
          const target = mapping.pfns[mapping.pfns.length - 1] + 1;
          stray(cls, cpu, last + 1, target, true);
          return;
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
        live.set(op.handle, {
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
        const mapping = live.get(op.handle);
        if (!mapping) return; // the map was unsupported; counted there
        const first = Math.floor(op.offset / 4096);
        const last = Math.floor((op.offset + Math.max(1, op.length) - 1) / 4096);
        for (let page = first; page <= last && page < mapping.pfns.length; page++) {
          legitimateAccess(cpu, sim, mapping, page, op.write);
        }
        return;
      }
      case "direct-read": {
        const first = op.page + Math.floor(op.offset / 4096);
        const last = op.page + Math.floor((op.offset + Math.max(1, op.length) - 1) / 4096);
        for (let page = first; page <= last && page < region.pfns.length; page++) {
          directRead(cpu, sim, region.pfns[page]);
        }
        return;
      }
      case "unmap": {
        const mapping = live.get(op.handle);
        if (!mapping) return;
        live.delete(op.handle);
        const unmapped = hooks.onUnmap?.({ cpu, thread, mapping: mapping.mapping });
        if (unmapped && unmapped.kind === "unsupported") {
          counters.unsupportedUnmaps++;
          unsupportedReasons.add(`unmap: ${unmapped.reason}`);
        } else if (checking) {
          checkProtectionBack(cpu, thread, mapping);
        }
        recentlyUnmapped.push({
          vpns: mapping.mapping.vpns,
          pfns: mapping.pfns,
          cpu,
          users: [...mapping.users],
          purges: ledger.events[Ev.vmap_purges],
        });
        if (recentlyUnmapped.length > 8) recentlyUnmapped.shift();
        return;
      }
      case "compute": {
        if (op.cycles > 0) ledger.chargeDerived(cpu, Cat.work, op.cycles);
        for (let i = 0; i < op.touches; i++) {
          // Unprotected kernel memory anywhere in the direct map (never a region page), so
          // that direct-map fragmentation around the region costs TLB misses here too.
          let pfn = computeRng.int(0, machine.pages - 1);
          while (machine.isWatched(pfn)) pfn = computeRng.int(0, machine.pages - 1);
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
        if (!live.has(op.handle)) sim.waitingFor = op.handle;
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
        if (outcome && outcome.kind === "unsupported") unsupportedReasons.add(outcome.reason);
        setOwned(op.page, op.count, op.kind === "protect-pages");
        return;
      }
      case "complete":
        counters.operations++;
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
        continue;
      }
      if (++counters.executed > budget) {
        return false;
      }
      execute(cpu, sim, next.value);
      if (strayProbability > 0 && strayRng.chance(strayProbability)) injectStray(cpu);
    }
    return true;
  };
  if (!mainLoop()) {
    return { status: "error", reason: `operation budget of ${budget} exceeded`, metrics: {} };
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
  const total = ledger.totalCycles();
  const operations = Math.max(1, counters.operations);
  metrics["cost.total_cycles"] = total;
  metrics["cost.cycles_per_op"] = total / operations;
  metrics["cost.setup_cycles"] = setupCycles;
  const byCategory = ledger.byCategory();
  for (const name of COST_CATEGORIES) metrics[`cost.cycles.${name}`] = byCategory[name];
  const events = ledger.eventCounts();
  for (const name of EVENT_NAMES) metrics[`events.${name}`] = events[name];
  let injected = 0;
  let blocked = 0;
  for (const [name, outcome] of coverage) {
    metrics[`coverage.${name}.injected`] = outcome.injected;
    metrics[`coverage.${name}.blocked`] = outcome.blocked;
    metrics[`coverage.${name}.corrupted`] = outcome.corrupted;
    metrics[`coverage.${name}.redirected`] = outcome.redirected;
    injected += outcome.injected;
    blocked += outcome.blocked;
  }
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
  metrics["exposure.page_cycles"] = machine.totalExposure();
  metrics["memory.overhead_bytes"] = events.pt_allocs * 4096;
  metrics["run.operations"] = counters.operations;
  metrics["run.simulated_cycles"] = Math.max(...ledger.clock);
  metrics["run.unintended_writes"] = ledger.unintendedWrites.length;
  const extra = hooks.onFinish?.() ?? {};
  for (const [name, value] of Object.entries(extra)) metrics[`strategy.${name}`] = value;
  const status =
    counters.unsupportedMaps > 0 && counters.unsupportedMaps >= counters.operations
      ? "unsupported"
      : "ok";
  const caught = [...catches.values()].sort(
    (a, b) => a.cpu - b.cpu || a.stray.localeCompare(b.stray) || a.during.localeCompare(b.during),
  );
  return {
    status,
    reason: unsupportedReasons.size > 0 ? [...unsupportedReasons].sort().join("; ") : undefined,
    metrics,
    catches: caught,
    ...(checking || violations.length > 0 ? { violations } : {}),
    ...(recordLimit > 0 ? { strays: strayLog } : {}),
  };
}
