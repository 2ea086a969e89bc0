import { resolveStrategyOptions } from "../../core/contract/strategy.ts";
import { placeRegion } from "../../core/engine/index.ts";
import { Vmalloc, type VmallocOptions } from "../../core/kernel/vmalloc.ts";
import { Cat, Ev, type EventName } from "../../core/ledger.ts";
import {
  DEFAULT_MACHINE,
  Machine,
  type MachineConfig,
  type Thread,
} from "../../core/machine/index.ts";
import { loadProfile } from "../../core/profile.ts";
import { Rng } from "../../core/rng.ts";
import type {
  Intent,
  KeyMode,
  Mapping,
  OpContext,
  ProtectedRegion,
  Scope,
  StrategyHooks,
  StrategyModule,
} from "../../strategies/api.ts";

export interface Setup {
  readonly machine: Machine;
  readonly hooks: StrategyHooks;
  readonly region: ProtectedRegion;
  /** t[0] runs on CPU 0, t[1] on CPU 1, t[2] shares CPU 0 with t[0]. */
  readonly t: Thread[];
  /** The run's vmalloc instance, once the strategy asked for it. */
  vmalloc(): Vmalloc | undefined;
  map(thread: Thread, pages: number[], intent?: Intent, scope?: Scope): Mapping;
  tryMap(
    thread: Thread,
    pages: number[],
    intent?: Intent,
    scope?: Scope,
    context?: OpContext,
  ): ReturnType<NonNullable<StrategyHooks["onMap"]>>;
  unmap(thread: Thread, mapping: Mapping): ReturnType<NonNullable<StrategyHooks["onUnmap"]>>;
  switchTo(cpu: number, thread: Thread): void;
  event(name: EventName): number;
}

export interface SetupOptions {
  readonly options?: Record<string, unknown>;
  readonly keyMode?: KeyMode;
  readonly contiguous?: boolean;
  readonly pages?: number;
  readonly machine?: Partial<MachineConfig>;
}

/**
 * Instantiates a strategy on a small machine the way the engine does (region placed at the
 * second GiB, watched, cost parameters registered, onSetup on CPU 0), then starts three
 * threads: t[0] on CPU 0, t[1] on CPU 1, t[2] on CPU 0 (not running).
 */
export function setUp(module: StrategyModule, config: SetupOptions = {}): Setup {
  const machine = new Machine(
    { ...DEFAULT_MACHINE, cpus: 4, memoryGiB: 4, ...config.machine },
    loadProfile(),
  );
  const region: ProtectedRegion = {
    pfns: placeRegion(
      config.pages ?? 16,
      config.contiguous ?? true,
      machine.pages,
      Rng.derive(7, 1_000_001),
    ),
    keyMode: config.keyMode ?? "access-disable",
    contiguous: config.contiguous ?? true,
  };
  machine.watch(region.pfns);
  const ids = new Map<string, number>();
  for (const [name, cost] of Object.entries(module.costs)) {
    ids.set(
      name,
      machine.ledger.registerParameter(name, `strategy:${module.name}`, {
        ...cost,
        range: cost.range ? [cost.range[0], cost.range[1]] : undefined,
      }),
    );
  }
  let vmalloc: Vmalloc | undefined;
  const hooks = module.create({
    machine,
    region,
    options: resolveStrategyOptions(module, config.options ?? {}),
    vmalloc(options: VmallocOptions) {
      vmalloc ??= new Vmalloc(machine, options);
      return vmalloc;
    },
    charge(cpu, parameter, count = 1) {
      const id = ids.get(parameter);
      if (id === undefined) throw new Error(`undeclared cost parameter ${parameter}`);
      machine.ledger.charge(cpu, Cat.strategy, id, count);
    },
  });
  const outcome = hooks.onSetup?.(region);
  if (outcome && outcome.kind !== "ok") throw new Error(`setup: ${outcome.reason}`);
  const t = [machine.createThread(0), machine.createThread(1), machine.createThread(0)];
  const switchTo = (cpu: number, thread: Thread) => {
    const previous = machine.current[cpu];
    if (previous === thread) return;
    machine.contextSwitch(cpu, thread);
    hooks.onContextSwitch?.(cpu, previous, thread);
  };
  switchTo(0, t[0]);
  switchTo(1, t[1]);
  const tryMap = (
    thread: Thread,
    pages: number[],
    intent: Intent = "write",
    scope: Scope = "local",
    context: OpContext = "sleepable",
  ) =>
    hooks.onMap!({
      cpu: thread.cpu,
      thread,
      pfns: pages.map((page) => region.pfns[page]),
      intent,
      scope,
      context,
    });
  return {
    machine,
    hooks,
    region,
    t,
    vmalloc: () => vmalloc,
    tryMap,
    map(thread, pages, intent = "write", scope = "local") {
      const outcome = tryMap(thread, pages, intent, scope);
      if (outcome.kind !== "ok") throw new Error(`map refused: ${outcome.reason}`);
      return outcome.value;
    },
    unmap: (thread, mapping) => hooks.onUnmap!({ cpu: thread.cpu, thread, mapping }),
    switchTo,
    event: (name) => machine.ledger.events[Ev[name]],
  };
}

/** Snapshot of every event counter, to diff after an operation. */
export function events(machine: Machine): Record<EventName, number> {
  return machine.ledger.eventCounts();
}

/** Per-event difference between two snapshots, keeping only the counters that moved. */
export function moved(
  before: Record<EventName, number>,
  after: Record<EventName, number>,
): Partial<Record<EventName, number>> {
  const out: Partial<Record<EventName, number>> = {};
  for (const name of Object.keys(after) as EventName[]) {
    const delta = after[name] - before[name];
    if (delta !== 0) out[name] = delta;
  }
  return out;
}
