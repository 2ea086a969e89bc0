/**
 * The contracts at the bottom of the tree: what a strategy and a workload are to the engine,
 * and the option/parameter schema both use. core/ depends on these and on nothing in
 * strategies/, workloads/ or reports/; strategies/api.ts and workloads/api.ts re-export them
 * with their `define*` helpers.
 *
 * @packageDocumentation
 */
export * from "./context.ts";
export * from "./options.ts";
export * from "./strategy.ts";
export * from "./stray.ts";
export * from "./workload.ts";
