/**
 * preempt-migrate: threads preempted and migrated while holding local mappings: the cost of
 * saving and restoring mapping state.
 *
 * Kernel path modelled: code between kmap_local_page() and kunmap_local() is preemptible
 * (unlike kmap_atomic), so a thread can be switched out, and asked to move to another CPU,
 * with up to `depth` nested local mappings live. What each API must do at those points:
 * - PKS (Weiny V10): thread.pkrs is saved and the next thread's loaded on every switch
 *   (`x86_pkrs_load` in `__switch_to`, a WRMSR unless pkrs_cache already holds the value);
 *   the rights follow the thread when it migrates;
 * - fixmap kmap_local (the HIGHMEM mechanism): `__kmap_local_sched_out` clears each live
 *   slot with a local INVLPG and `__kmap_local_sched_in` rewrites the PTEs, and
 *   migrate_disable() keeps the thread on its CPU until the last unmap (the model counts a
 *   refused migration as `events.migrations_deferred`, and charges no context switch for
 *   it: the task simply stays, kernel/sched/core.c migrate_disable_switch()).
 * Twice as many threads as CPUs by default, so a yield always has someone to switch to.
 *
 * Grounding: Gleixner, "mm/highmem: Provide a preemptible variant of kmap_atomic &
 * friends" (20200919091751.011116649@linutronix.de) and commit f3ba3c710ac5
 * (discussion-history.md §1.1); `K:mm/highmem.c:__kmap_local_sched_out/_in`
 * (kernel-mechanics.md §10); Weiny V10 13/44 "x86/pkeys: Preserve the PKS MSR on context
 * switch" (kernel-mechanics.md §6.3).
 *
 * One `complete` per critical section (map..unmap).
 */
import { defineWorkload, type Operation } from "./api.ts";
import * as spec from "./common/params.ts";
import { handleOf, jitter, keyedPool } from "./common/streams.ts";

export default defineWorkload({
  name: "preempt-migrate",
  version: "1.0.0",
  summary: "Threads preempted and migrated while holding nested local mappings",
  citation:
    "Gleixner kmap_local series 20200919091751.011116649@linutronix.de, commit f3ba3c710ac5; K:mm/highmem.c __kmap_local_sched_out/_in; Weiny V10 13/44 (PKRS across context switch)",
  params: {
    sections: spec.perThread(
      50,
      "sections/thread",
      "Critical sections (nested maps, preemption, unmaps) each thread runs.",
    ),
    threads: spec.TWO_PER_CPU_THREADS,
    depth: {
      default: 3,
      unit: "mappings",
      description:
        "Most nested local mappings held at once (uniform on [1, depth]); kmap_local allows 15.",
      min: 1,
      max: 15,
    },
    preempt_ratio: spec.ratio(
      0.8,
      "Fraction of sections preempted (a yield) while the mappings are held.",
    ),
    migrate_ratio: spec.ratio(
      0.3,
      "Fraction of preempted sections asked to migrate to another CPU while holding the mappings.",
    ),
    section_cycles: spec.cycles(800, "Mean unrelated work per section."),
    touches: spec.touches(4, "Reads of unprotected kernel memory per section."),
    pages: spec.pages(2048, "Protected region the mapped pages come from.", 15),
    ...spec.strayParams(),
  },
  // Physical layout is not what this workload is about: one keyed pool, one split at setup.
  region: keyedPool("access-disable"),
  threads: spec.threadsOrPerCpu(2),
  *generate({ thread, threads, cpus, rng, params }): Generator<Operation> {
    let next = 0;
    for (let s = 0; s < params.sections; s++) {
      const held: number[] = [];
      const count = rng.int(1, params.depth);
      for (let i = 0; i < count; i++) {
        const handle = handleOf(thread, threads, next++);
        held.push(handle);
        const page = rng.int(0, params.pages - 1);
        yield {
          kind: "map",
          handle,
          page,
          count: 1,
          intent: "write",
          scope: "local",
          // kmap_local_page() sections are preemptible (that is this workload's point).
          context: "sleepable",
        };
        yield { kind: "access", handle, offset: rng.int(0, 4032), length: 64, write: true };
      }
      if (rng.chance(params.preempt_ratio)) {
        yield { kind: "yield" };
        if (cpus > 1 && rng.chance(params.migrate_ratio)) {
          yield { kind: "migrate", cpu: rng.int(0, cpus - 1) };
        }
        // Back on a CPU: touch every held mapping again.
        for (const handle of held) {
          yield { kind: "access", handle, offset: rng.int(0, 4032), length: 64, write: false };
        }
      }
      // LIFO unmap, as kunmap_local requires.
      for (let i = held.length - 1; i >= 0; i--) yield { kind: "unmap", handle: held[i] };
      yield {
        kind: "compute",
        cycles: jitter(rng, params.section_cycles),
        touches: params.touches,
      };
      yield { kind: "complete" };
    }
  },
});
