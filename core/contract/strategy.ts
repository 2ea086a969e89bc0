/**
 * The strategy contract. A strategy is a candidate kernel API for PKS-style protection
 * (pks-kmap, vmap-alias, ...). It drives the shared machine model only through the model's
 * public primitives, so every cycle it costs is charged by the model and every protection
 * it gives is enforced by the model's access check.
 *
 * The contract lives in core so that the engine depends on it and not on the plugin folder;
 * plugins import it through strategies/api.ts, which adds `defineStrategy`.
 *
 * @packageDocumentation
 */
import type { Vmalloc, VmallocOptions } from "../kernel/vmalloc.ts";
import type { Machine, Thread } from "../machine/index.ts";
import type { Confidence } from "../profile.ts";
import {
  type OptionSpecs,
  type OptionValues,
  type OptionValuesOf,
  resolveOptions,
} from "./options.ts";

/**
 * A software cost the model does not have (an allocator, a lookup), declared by the
 * strategy with its provenance. Strategy code charges it by name through
 * {@link StrategyContext.charge}; it never writes a literal cycle count.
 * @public
 */
export interface CostParameterSpec {
  readonly value: number;
  readonly unit: string;
  readonly confidence: Confidence;
  /** Citation: where the figure comes from. */
  readonly source: string;
  /** Documented range for sensitivity analysis. */
  readonly range?: readonly [number, number];
}

/** How mapped memory is meant to be used. @public */
export type Intent = "read" | "write";

/**
 * The calling context of an operation: `atomic` (under a spinlock, with preemption or
 * interrupts disabled: PTE updates under the page-table lock, copy_page_from_iter_atomic(),
 * interrupt handlers) or `sleepable`. An API that may sleep (vmap(), vm_map_ram(),
 * vm_unmap_ram(), kmap(): might_sleep() or GFP_KERNEL allocations in mm/vmalloc.c and
 * include/linux/highmem-internal.h) cannot be called in atomic context; a strategy that
 * needs one refuses the request as unsupported with that reason.
 * @public
 */
export type OpContext = "atomic" | "sleepable";

/**
 * Lifetime and visibility a caller needs: `local` (this thread, this CPU, LIFO, like
 * kmap_local_page), `global` (any thread or CPU may use the address, like kmap), or
 * `long-term` (held across sleeps for a long time, like vmap).
 * @public
 */
export type Scope = "local" | "global" | "long-term";

/** Access rights the protected region is kept at between legitimate accesses. @public */
export type KeyMode = "access-disable" | "write-disable";

/**
 * The protected region a run sets up: which physical pages, how they are protected.
 * @public
 */
export interface ProtectedRegion {
  /** Physical page numbers of the region, in region order. */
  readonly pfns: Int32Array;
  /** Access-disable (PMEM) or write-disable (page tables, btrfs debugging). */
  readonly keyMode: KeyMode;
  /** Whether the pages are physically contiguous (pfns[i] = pfns[0] + i). */
  readonly contiguous: boolean;
  /**
   * Device memory mapped by memremap_pages() (PMEM): a strategy protects it when the range
   * is mapped (Machine.memremapPages), not by changing, and splitting, RAM's direct map.
   * Optional for plugins that build regions themselves; the engine always sets it.
   */
  readonly device?: boolean;
}

/** A request to map `pfns` for the calling thread. @public */
export interface MapRequest {
  readonly cpu: number;
  readonly thread: Thread;
  /** Physical pages to map, all from the protected region. */
  readonly pfns: readonly number[];
  readonly intent: Intent;
  readonly scope: Scope;
  /** The caller's context: a strategy that may sleep cannot serve an `atomic` request. */
  readonly context: OpContext;
}

/**
 * A live mapping: the virtual page (vpn) to use for each mapped page. `state` is the
 * strategy's own bookkeeping, handed back at unmap; `S` is its type (the strategy's
 * {@link StrategyHooks} `S`), so an unmap hook reads it without a cast.
 * @public
 */
export interface Mapping<S = unknown> {
  readonly vpns: readonly number[];
  /** True when vpns[i] = vpns[0] + i, so one pointer covers the range. */
  readonly contiguous: boolean;
  readonly state?: S;
}

/** Outcome of a hook that may not be able to serve a request. @public */
export type Outcome<T = undefined> =
  | { readonly kind: "ok"; readonly value: T }
  | { readonly kind: "unsupported"; readonly reason: string };

/** A request to unmap a mapping made by `map` (with the strategy's state type `S`). @public */
export interface UnmapRequest<S = unknown> {
  readonly cpu: number;
  readonly thread: Thread;
  readonly mapping: Mapping<S>;
}

/** A page fault raised by an access, handed to the strategy while the exception runs. @public */
export interface FaultEvent {
  readonly cpu: number;
  readonly thread: Thread;
  readonly vpn: number;
  readonly write: boolean;
  /** The #PF reason: "not-present", "write-protect" or "pkey". */
  readonly reason: "not-present" | "write-protect" | "pkey" | "nx" | "check";
}

/**
 * What the fault handler decided: `retry` (it fixed the cause; the access is retried once),
 * or `oops` (the kernel would oops; the access fails).
 * @public
 */
export type FaultResolution = "retry" | "oops";

/**
 * Everything a strategy instance may use. `V` is the type of its parsed options (from the
 * module's option specs, see {@link StrategyModule}).
 * @public
 */
export interface StrategyContext<V extends OptionValues = OptionValues> {
  /**
   * The shared machine: its public primitives are the only way to act on hardware state.
   * Its architecture (`machine.arch`, `machine.hasPks`, `machine.inDirectMap(pfn)`) is what a
   * strategy queries to decide what it means on that machine. Hardware the model lacks enters
   * through `machine.addAccessCheck(check)`, the access-check extension point
   * (docs/plugins.md).
   */
  readonly machine: Machine;
  /** The protected region of this run. */
  readonly region: ProtectedRegion;
  /**
   * The option values, already resolved against the module's specs before `create` runs:
   * every declared option present (given or default), of its kind, within its choices and
   * bounds; unknown keys were refused. Typed by the specs, so no cast is needed.
   */
  readonly options: V;
  /** The kernel's vmalloc allocator (created on first call; one per run). */
  vmalloc(options: VmallocOptions): Vmalloc;
  /** Charges `count` times a cost parameter this strategy declared in `costs`. */
  charge(cpu: number, parameter: string, count?: number): void;
}

/**
 * Event-named hooks of a live strategy instance. All are optional; all are synchronous.
 * A hook that cannot serve a request returns `{ kind: "unsupported", reason }` rather than
 * throwing: that feeds the coverage table. `S` is the type of the per-mapping state the
 * strategy returns from `onMap` and gets back at `onUnmap` (default `unknown`).
 * @public
 */
export interface StrategyHooks<S = unknown> {
  /** Once, before any workload operation: protect the region (set keys, remove from the direct map...). */
  onSetup?(region: ProtectedRegion): Outcome;
  /** Pages of the region leave the kernel's reach (allocated to user space; xpfo-churn). */
  onPagesProtect?(cpu: number, pfns: readonly number[]): Outcome;
  /** Pages of the region return (freed by user space; xpfo-churn). */
  onPagesRelease?(cpu: number, pfns: readonly number[]): Outcome;
  /** A caller wants to access pages: return addresses it can use. */
  onMap?(request: MapRequest): Outcome<Mapping<S>>;
  /** The caller is done with a mapping: restore protection. */
  onUnmap?(request: UnmapRequest<S>): Outcome;
  /** `cpu` switched from `previous` to `next` (after the model's own switch work). */
  onContextSwitch?(cpu: number, previous: Thread, next: Thread): void;
  /** `thread` moved from one CPU to another. */
  onMigrate?(thread: Thread, fromCpu: number, toCpu: number): void;
  /** An access faulted; runs inside the exception (the model has done entry and will do exit). */
  onFault?(fault: FaultEvent): FaultResolution;
  /** End of the run: strategy-specific counters (name → value), reported as `strategy.<name>`. */
  onFinish?(): Readonly<Record<string, number>>;
}

/** What the coverage table may say a strategy supports per scope. @public */
export interface CoverageClaims {
  readonly local: boolean;
  readonly global: boolean;
  readonly longTerm: boolean;
}

/**
 * A strategy plugin: metadata as data plus a factory of hooks. `O` is the type of its
 * declared option specs; `create` receives the options parsed to the types they declare
 * ({@link OptionValuesOf}). Without `O` (a module of any options, as the engine and the
 * registry hold them), the options are plain {@link OptionValues}; a typed module is one
 * of those (`create` is a method, so its parameter is compared both ways). `S` is the
 * type of its per-mapping state ({@link StrategyHooks}); a module of any state is one of
 * `StrategyModule` the same way (`onUnmap` is a method).
 * @public
 */
export interface StrategyModule<O extends OptionSpecs = OptionSpecs, S = unknown> {
  /** Unique, kebab-case. */
  readonly name: string;
  /** Semver of the strategy itself; printed in every report. */
  readonly version: string;
  /** One line for `pkslab list`. */
  readonly summary: string;
  /** The mechanism it models and where it comes from (patch, message-id, file:function). */
  readonly citation: string;
  /** Declared options; unknown option keys are errors. */
  readonly options: O;
  /** Software cost parameters this strategy charges, with provenance. */
  readonly costs: Readonly<Record<string, CostParameterSpec>>;
  /** Scopes the strategy claims to support (checked by `check-plugin`). */
  readonly supports: CoverageClaims;
  /** Whether protection is back after every unmap (false only for the unprotected baseline). */
  readonly restoresProtection: boolean;
  /**
   * Whether the API maps a multi-page range with one call and one address (vmap(),
   * kmap_local_range()). Callers written against such an API map per range; callers of a
   * one-page API (kmap_local_page()) loop per page. Workloads whose calling convention
   * depends on this (btrfs-metadata with `mapping = api`) read it. Default false.
   */
  readonly mapsRanges?: boolean;
  /**
   * Whether, on a write-disable region, the protected pages stay readable at their
   * direct-map address (a WD key, a read-only direct map), so a reader may use
   * page_address() and skip the map call: the cheapest legal read path. False when the
   * pages leave the direct map. Workloads whose readers have that choice (btrfs-debug-ro
   * with `reads = api`) read it. Default false.
   */
  readonly directMapReads?: boolean;
  /**
   * Mechanisms the strategy assumes that the x86-64 6.1 kernel does not have (proposed,
   * never merged, or only built on other configurations), each as one line naming where
   * it comes from. `describe` lists them so a reader does not take them for 6.1 behaviour.
   */
  readonly proposed?: readonly string[];
  /** Called once per run, with the options resolved ({@link resolveStrategyOptions}). */
  create(context: StrategyContext<OptionValuesOf<O>>): StrategyHooks<S>;
}

/**
 * Resolves a strategy's given option values against its specs: defaults filled in, values
 * converted to their kind and checked; an unknown key, a wrong type, a number out of range
 * or a string outside its choices is a UserInputError naming the strategy and the option.
 * The callers of `create` (the engine, the conformance kit) pass its result as
 * `context.options`, so a strategy never resolves its own options.
 */
export function resolveStrategyOptions<O extends OptionSpecs>(
  module: StrategyModule<O>,
  given: Readonly<Record<string, unknown>> = {},
): OptionValuesOf<O> {
  return resolveOptions("strategy", module.name, module.options, given);
}
