/**
 * The strategy plugin API. A strategy is a candidate kernel API for PKS-style protection
 * (pks-kmap, vmap-alias, ...). It drives the shared machine model only through the model's
 * public primitives, so every cycle it costs is charged by the model and every protection
 * it gives is enforced by the model's access check.
 *
 * The contract itself (the types below) lives in core/contract/, under the engine that
 * calls it; this module re-exports it and adds `defineStrategy`.
 * A plugin module default-exports `defineStrategy({...})`.
 *
 * @packageDocumentation
 */
import type { StrategyModule } from "../core/contract/strategy.ts";

export type {
  OptionKind,
  OptionSpec,
  OptionValues,
} from "../core/contract/options.ts";
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
 * Identity helper that type-checks a strategy definition.
 * @public
 */
export function defineStrategy(module: StrategyModule): StrategyModule {
  return module;
}
