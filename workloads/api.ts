/**
 * The workload plugin API. A workload is what the kernel does with protected memory: a
 * protected region and, per thread, a deterministic stream of operations drawn from the
 * run's seeded PRNG. A plugin module default-exports `defineWorkload({...})`.
 *
 * The contract itself (the types below) lives in core/contract/, under the engine that
 * runs it; this module re-exports it and adds `defineWorkload`.
 *
 * @packageDocumentation
 */
import type { WorkloadModule } from "../core/contract/workload.ts";

export {
  type Operation,
  type RegionSpec,
  STRAY_CLASSES,
  type StrayClass,
  type ThreadContext,
  type WorkloadModule,
} from "../core/contract/workload.ts";

/** Identity helper that type-checks a workload definition. @public */
export function defineWorkload(module: WorkloadModule): WorkloadModule {
  return module;
}
