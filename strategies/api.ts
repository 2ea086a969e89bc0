/**
 * The strategy plugin API. A strategy is a candidate kernel API for PKS-style protection
 * (pks-kmap, vmap-alias, ...). It drives the shared machine model only through the model's
 * public primitives, so every cycle it costs is charged by the model and every protection
 * it gives is enforced by the model's access check.
 *
 * The contract itself (the types below) lives in core/contract/, under the engine that
 * calls it; this module re-exports it and adds `defineStrategy`.
 * A plugin module default-exports `defineStrategy({...})`: its `options` specs type the
 * `context.options` that `create` receives, parsed and checked before `create` runs.
 *
 * @packageDocumentation
 */
import type { OptionSpecs } from "../core/contract/options.ts";
import type { StrategyModule } from "../core/contract/strategy.ts";

export * from "../core/contract/plugin-options.ts";
export type {
  CostParameterSpec,
  CoverageClaims,
  FaultEvent,
  FaultResolution,
  Intent,
  KeyMode,
  Mapping,
  MapRequest,
  OpContext,
  Outcome,
  ProtectedRegion,
  Scope,
  StrategyContext,
  StrategyHooks,
  StrategyModule,
  UnmapRequest,
} from "../core/contract/strategy.ts";

/**
 * Identity helper that type-checks a strategy definition and types its options: `O` is
 * inferred from the `options` object (kept literal, so `choices` become a union of
 * string literals), and `create(context)` gets `context.options` as
 * {@link OptionValuesOf}<O>: numbers as `number`, booleans as `boolean`, choices as their
 * union. Reading an undeclared option, or using one as another kind, does not compile.
 * `S`, the per-mapping state, is inferred from what `onMap` returns, so `onUnmap` reads
 * `mapping.state` as that type, without a cast.
 * @public
 */
export function defineStrategy<const O extends OptionSpecs, S = unknown>(
  module: StrategyModule<O, S>,
): StrategyModule<O, S> {
  return module;
}
