/**
 * The workload plugin API. A workload is what the kernel does with protected memory: a
 * protected region and, per thread, a deterministic stream of operations drawn from the
 * run's seeded PRNG. A plugin module default-exports `defineWorkload({...})`: its `params`
 * specs type the parameters `region`, `threads` and `generate` receive, parsed and checked
 * before any of them runs.
 *
 * The contract itself (the types below) lives in core/contract/, under the engine that
 * runs it; this module re-exports it and adds `defineWorkload`.
 *
 * @packageDocumentation
 */
import type { OptionSpecs } from "../core/contract/options.ts";
import type { WorkloadModule } from "../core/contract/workload.ts";

export * from "../core/contract/plugin-options.ts";
export {
  type Operation,
  type RegionSpec,
  STRAY_CLASSES,
  type StrayClass,
  type ThreadContext,
  type WorkloadModule,
} from "../core/contract/workload.ts";

/**
 * Identity helper that type-checks a workload definition and types its parameters: `P` is
 * inferred from the `params` object (kept literal, so `choices` become a union of string
 * literals), and `region`, `threads` and `generate` get the parameters as
 * {@link OptionValuesOf}<P>. Reading an undeclared parameter, or using one as another
 * kind, does not compile.
 * @public
 */
export function defineWorkload<const P extends OptionSpecs>(
  module: WorkloadModule<P>,
): WorkloadModule<P> {
  return module;
}
