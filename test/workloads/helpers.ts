import { Rng } from "../../core/rng.ts";
import type { OptionValues } from "../../strategies/api.ts";
import type { Operation, WorkloadModule } from "../../workloads/api.ts";
import type { BUILTIN_WORKLOADS } from "../../workloads/registry.ts";

/** The parameter that scales each built-in's length, and a small value for fast tests. */
export const SIZE_PARAM: Record<keyof typeof BUILTIN_WORKLOADS, [string, number]> = {
  "pmem-dax": ["requests", 20],
  "pagetable-protect": ["ops", 4],
  "btrfs-metadata": ["searches", 3],
  "btrfs-debug-ro": ["searches", 3],
  "pagecache-io": ["requests", 8],
  "long-term-map": ["records", 20],
  "cross-cpu-handoff": ["items", 20],
  "preempt-migrate": ["sections", 5],
  "xpfo-churn": ["allocations", 20],
  "vmap-churn": ["loops", 20],
  lmbench: ["ops", 4],
  "mmap-sync": ["requests", 8],
  "tlb-flush-bench": ["loops", 8],
};

/** One thread's stream, materialised. */
export function stream(
  workload: WorkloadModule,
  params: OptionValues,
  seed: number,
  thread: number,
  cpus = 16,
  strategyMapsRanges = false,
  strategyDirectMapReads = false,
): Operation[] {
  const threads = workload.threads(params, cpus);
  return [
    ...workload.generate({
      thread,
      threads,
      cpus,
      rng: Rng.derive(seed, thread),
      params,
      region: workload.region(params),
      strategyMapsRanges,
      strategyDirectMapReads,
    }),
  ];
}

/** Every thread's stream. */
export function allStreams(
  workload: WorkloadModule,
  params: OptionValues,
  seed: number,
  cpus = 16,
): Operation[][] {
  const threads = workload.threads(params, cpus);
  return Array.from({ length: threads }, (_, thread) =>
    stream(workload, params, seed, thread, cpus),
  );
}

/**
 * Checks the invariants every built-in stream keeps, and returns a description of the
 * first violation (or undefined): handles are mapped before use and unmapped once; a
 * thread only uses handles some thread maps; accesses stay inside the mapping;
 * mapped pages lie in the region; local mappings are unmapped in LIFO order.
 */
export function streamProblem(
  workload: WorkloadModule,
  params: OptionValues,
  streams: Operation[][],
): string | undefined {
  const region = workload.region(params);
  const mapped = new Map<number, { count: number; scope: string; owner: number }>();
  const unmapped = new Set<number>();
  // Handles any thread maps: a consumer may use a producer's handle.
  const anywhere = new Set<number>();
  for (const ops of streams) for (const op of ops) if (op.kind === "map") anywhere.add(op.handle);
  for (let thread = 0; thread < streams.length; thread++) {
    const localStack: number[] = [];
    const known = new Set<number>();
    for (const op of streams[thread]) {
      switch (op.kind) {
        case "map": {
          if (mapped.has(op.handle)) return `handle ${op.handle} mapped twice`;
          if (op.page < 0 || op.page + op.count > region.pages || op.count < 1) {
            return `map of pages [${op.page}, ${op.page + op.count}) outside a ${region.pages}-page region`;
          }
          mapped.set(op.handle, { count: op.count, scope: op.scope, owner: thread });
          known.add(op.handle);
          if (op.scope === "local") localStack.push(op.handle);
          break;
        }
        case "wait-for":
          known.add(op.handle);
          break;
        case "access": {
          if (!known.has(op.handle) && !anywhere.has(op.handle))
            return `thread ${thread} accesses unknown handle ${op.handle}`;
          if (unmapped.has(op.handle)) return `handle ${op.handle} used after unmap`;
          const mapping = mapped.get(op.handle);
          // A consumer's handle is mapped by another thread (checked after all streams).
          if (mapping && (op.offset < 0 || op.offset + op.length > mapping.count * 4096)) {
            return `access [${op.offset}, ${op.offset + op.length}) outside ${mapping.count} pages`;
          }
          if (op.length < 1 || !Number.isInteger(op.length) || !Number.isInteger(op.offset)) {
            return `access with bad offset/length ${op.offset}/${op.length}`;
          }
          break;
        }
        case "unmap": {
          if (!known.has(op.handle) && !anywhere.has(op.handle))
            return `thread ${thread} unmaps unknown handle ${op.handle}`;
          if (unmapped.has(op.handle)) return `handle ${op.handle} unmapped twice`;
          unmapped.add(op.handle);
          const mapping = mapped.get(op.handle);
          if (mapping?.scope === "local") {
            if (localStack.pop() !== op.handle) return `local unmap of ${op.handle} not LIFO`;
          }
          break;
        }
        case "protect-pages":
        case "release-pages":
          if (op.page < 0 || op.page + op.count > region.pages) return `${op.kind} outside region`;
          break;
        default:
          break;
      }
    }
    if (localStack.length > 0) return `thread ${thread} ends with local mappings open`;
  }
  for (const handle of mapped.keys()) {
    if (!unmapped.has(handle)) return `handle ${handle} never unmapped`;
  }
  return undefined;
}

/** Counts operations by kind. */
export function countKinds(ops: readonly Operation[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of ops) counts[op.kind] = (counts[op.kind] ?? 0) + 1;
  return counts;
}
