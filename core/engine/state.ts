/**
 * The state of one run, in one object that the engine's pieces (scheduler, interpreter,
 * stray injector, metrics collector) receive: the machine, the region, the strategy's
 * hooks, the simulated threads, the stream's mappings, the stray schedule's state and the
 * counters. Created once per run by `runSimulation`; nothing else holds run state.
 *
 * @packageDocumentation
 */
import {
  type Mapping,
  type ProtectedRegion,
  resolveStrategyOptions,
  type Scope,
  type StrategyContext,
  type StrategyHooks,
} from "../contract/strategy.ts";
import {
  type Operation,
  type RegionSpec,
  STRAY_CLASSES,
  type StrayClass,
} from "../contract/workload.ts";
import { Machine, type Thread } from "../machine/index.ts";
import { guardHooks, type HookSite, PluginError } from "../plugin-guard.ts";
import { Rng } from "../rng.ts";
import { createStrategyContext } from "./context.ts";
import { CpuQueue } from "./cpu-queue.ts";
import { HandleMap } from "./handle-map.ts";
import { protectedRegion } from "./region.ts";
import {
  type CaughtModification,
  CHARGES_PER_OPERATION,
  DEFAULT_OPERATION_BUDGET,
  type RunSpec,
  type StrayOutcome,
  type StrayRecord,
} from "./spec.ts";

/** The operation of kind `K`. */
export type Op<K extends Operation["kind"]> = Extract<Operation, { kind: K }>;

/** A mapping of the stream that the strategy served (map done, unmap not yet). */
export interface LiveMapping {
  readonly handle: number;
  readonly mapping: Mapping;
  readonly pfns: number[];
  readonly thread: Thread;
  readonly cpu: number;
  /**
   * CPUs that accessed through it, each once, in the order they first did (for cross-CPU
   * stale strays): a list, not a Set, since a mapping has one or a few users and every
   * legitimate access checks it.
   */
  readonly users: number[];
  readonly scope: Scope;
  /** Region index of the first mapped page. */
  readonly firstPage: number;
  /** The pages were allocated with the mapping (vmalloc) and are freed with it. */
  readonly allocated: boolean;
}

/** A mapping the stream unmapped, kept as a target of the unmap stray classes. */
export interface Unmapped {
  /** Addresses the pages had; the direct-map addresses when the strategy refused the map. */
  readonly vpns: readonly number[];
  readonly pfns: number[];
  readonly cpu: number;
  readonly users: readonly number[];
  /** events.vmap_purges when it was unmapped. */
  readonly purges: number;
}

/** A workload thread: its stream, its scheduling state, its stray schedule. */
export interface SimThread {
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

/** The ledger's totals at the end of setup, subtracted to get the steady state. */
export interface LedgerSnapshot {
  readonly total: number;
  readonly categories: Float64Array;
  readonly events: Float64Array;
  readonly parameters: Float64Array;
  readonly derived: number;
}

/** Region pages currently protected, while the workload moves pages in and out. */
export interface OwnedPages {
  readonly list: Int32Array;
  /** Index of each region page in `list`, -1 when it is not protected. */
  readonly position: Int32Array;
  size: number;
}

/** What the run counts as it goes; the metrics collector turns them into metrics. */
function newCounters() {
  return {
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
}
export type Counters = ReturnType<typeof newCounters>;

const MAX_VIOLATIONS = 50;

/**
 * One run's state. The constructor does what comes before the strategy's setup: the
 * machine, the region placed and watched, the strategy's cost parameters, its context and
 * its guarded hooks. The fields marked "at the start of the workload" are filled after
 * setup, by `startThreads` (scheduler), `startStrays` (stray injector) and
 * `startPageTables` (lifetime), in that order, as the run always did.
 */
export class RunState {
  readonly spec: RunSpec;
  readonly machine: Machine;
  readonly ledger: Machine["ledger"];
  /** `RunSpec.checkInvariants`. */
  readonly checking: boolean;
  readonly violations: string[];
  readonly regionSpec: RegionSpec;
  readonly region: ProtectedRegion;
  /** Every region page is in the direct map (not high memory). */
  readonly regionDirectMapped: boolean;
  readonly hooks: StrategyHooks;
  /** Workload operations the run may execute. */
  readonly budget: number;
  /** The operation being executed and its CPU, for plugin error messages. */
  siteOperation: Operation | undefined = undefined;
  siteCpu = 0;

  readonly counters: Counters = newCounters();
  readonly coverage = new Map<StrayClass, StrayOutcome>(
    STRAY_CLASSES.map((name) => [
      name,
      { injected: 0, blocked: 0, corrupted: 0, redirected: 0, faulted: 0 },
    ]),
  );
  readonly unsupportedReasons = new Set<string>();
  /** Threads a fault handler granted access to (relaxed PKS mode). */
  readonly grantedThreads = new Set<Thread>();

  /** The ledger at the end of setup (at the start of the workload). */
  setup: LedgerSnapshot | undefined = undefined;
  /** CPU 0's clock when the workload started. */
  workloadStart = 0;

  // Scheduling (at the start of the workload).
  readonly simThreads: SimThread[] = [];
  /** Each CPU's run queue. */
  readonly runQueues: SimThread[][];
  /** The workload thread of each machine thread id (idle threads and kworkers: none). */
  readonly simByThreadId: (SimThread | undefined)[] = [];
  /** Idle threads the CPUs started with. */
  idle: readonly Thread[] = [];
  /** CPUs that have work, in simulated-time order. */
  readonly active: CpuQueue;

  // The stream's mappings.
  readonly live = new HandleMap<LiveMapping>();
  /** Mappings the stream holds open (map done, unmap not yet), served or not: handle → pfns. */
  readonly intendedLive = new HandleMap<number[]>();

  // Strays (rate and mix at the start of the workload).
  strayMix: readonly StrayClass[] = STRAY_CLASSES;
  strayProbability = 0;
  /** Attribution: the kind of the last stream operation each CPU executed. */
  readonly lastOpKind: string[];
  readonly catches = new Map<string, CaughtModification>();
  readonly recordLimit: number;
  readonly strayLog: StrayRecord[] = [];
  /**
   * Region pages currently protected, when the workload moves pages in and out of
   * protection (protect-pages/release-pages, xpfo-churn): strays aimed at "a protected
   * page" then aim only at these. Undefined while the whole region is protected.
   */
  owned: OwnedPages | undefined = undefined;

  // User page tables in region pages (at the start of the workload).
  /** Region pages that held a page table and were freed (a stack: taken before unused ones). */
  readonly ptFree: number[] = [];
  /** Region pages from here on never held a page table (taken lowest first). */
  ptUnused = 0;
  /** Handle of the next page-table write window (negative: never a stream's handle). */
  ptHandle = -1;
  pteWriteId = -1;
  pageFreeId = -1;
  bulkCallId = -1;
  bulkPageId = -1;
  switchId = -1;

  constructor(spec: RunSpec) {
    this.spec = spec;
    const machine = new Machine(spec.machine, spec.profile);
    this.machine = machine;
    this.checking = spec.checkInvariants ?? false;
    machine.checkInvariants = this.checking;
    this.violations = machine.violations;
    const ledger = machine.ledger;
    this.ledger = ledger;
    this.regionSpec = spec.workload.region(spec.workloadParams);
    const region = protectedRegion(machine, this.regionSpec, Rng.derive(spec.seed, 1_000_001));
    this.region = region;
    machine.watch(region.pfns);
    this.regionDirectMapped = region.pfns.every((pfn) => machine.inDirectMap(pfn));
    this.hooks = this.#createHooks();
    this.budget = spec.operationBudget ?? DEFAULT_OPERATION_BUDGET;
    ledger.chargeBudget = this.budget * CHARGES_PER_OPERATION;
    this.runQueues = Array.from({ length: machine.cpus }, () => []);
    this.active = new CpuQueue(machine.cpus, ledger.clock);
    this.lastOpKind = new Array(machine.cpus).fill("idle");
    this.recordLimit = spec.recordStrays ?? 0;
  }

  /** Records an invariant violation (the first 50). */
  violation(message: string): void {
    if (this.violations.length < MAX_VIOLATIONS) this.violations.push(message);
  }

  /** Whether the strategy claims to support mappings of `scope`. */
  supportsScope(scope: Scope): boolean {
    const supports = this.spec.strategy.supports;
    return scope === "local"
      ? supports.local
      : scope === "global"
        ? supports.global
        : supports.longTerm;
  }

  /** The strategy's cost parameters registered, its context made, its hooks created and guarded. */
  #createHooks(): StrategyHooks {
    const { machine, region, spec } = this;
    // The context `create` gets (core/engine/context.ts; the conformance kit builds the
    // same), its cost parameters entered in the ledger with their provenance. The one place
    // a run's strategy gets its options: parsed against its specs here, so that no strategy
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
    const run = this;
    const site: HookSite = {
      get operation() {
        return run.siteOperation
          ? `operation ${JSON.stringify(run.siteOperation)} on CPU ${run.siteCpu}`
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
    return guardHooks(spec.strategy.name, created, site, machine.vaLimit);
  }
}
