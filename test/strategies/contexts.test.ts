import { describe, expect, it } from "vitest";
import noDirectMap from "../../strategies/no-direct-map.ts";
import pksKmap from "../../strategies/pks-kmap.ts";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import vmapAlias from "../../strategies/vmap-alias.ts";
import { BUILTIN_WORKLOADS } from "../../workloads/registry.ts";
import { simulate } from "../helpers/sim.ts";
import { events, moved, setUp } from "./helpers.ts";

/**
 * Operation contexts: vmap(), vm_map_ram() and vm_unmap_ram() may sleep (mm/vmalloc.c:
 * alloc_vmap_area() calls might_sleep(), vm_unmap_ram() calls might_sleep(), new_vmap_block()
 * allocates with GFP_KERNEL); kmap() calls might_sleep() (include/linux/highmem-internal.h).
 * A strategy that needs one of them cannot serve an atomic request: refused, not costed.
 */
describe("operation contexts (atomic vs sleepable)", () => {
  it("vmap-alias refuses an atomic map of any scope and does no work for it", () => {
    const s = setUp(vmapAlias);
    for (const scope of ["local", "global", "long-term"] as const) {
      const before = events(s.machine);
      const outcome = s.tryMap(s.t[0], [0], "write", scope, "atomic");
      expect(outcome.kind).toBe("unsupported");
      if (outcome.kind === "unsupported") expect(outcome.reason).toMatch(/atomic/);
      expect(moved(before, events(s.machine))).toEqual({});
    }
    // The same request from a sleepable caller is served.
    expect(s.tryMap(s.t[0], [0], "write", "local", "sleepable").kind).toBe("ok");
  });

  it("no-direct-map serves atomic local maps (fixmap slots, as kmap_atomic) but not atomic vmap()", () => {
    const s = setUp(noDirectMap);
    expect(s.tryMap(s.t[0], [0], "write", "local", "atomic").kind).toBe("ok");
    expect(s.tryMap(s.t[0], [1], "write", "long-term", "atomic").kind).toBe("unsupported");
    expect(s.tryMap(s.t[0], [1], "write", "global", "atomic").kind).toBe("unsupported");
  });

  it("pks-kmap serves atomic local maps (kmap_atomic) but refuses an atomic kmap()", () => {
    const s = setUp(pksKmap);
    expect(s.tryMap(s.t[0], [0], "write", "local", "atomic").kind).toBe("ok");
    expect(s.tryMap(s.t[0], [1], "write", "global", "atomic").kind).toBe("unsupported");
  });

  it("pagetable-protect's PTE setters are atomic: vmap-alias is refused on them, the PKS designs are not", () => {
    const workload = BUILTIN_WORKLOADS["pagetable-protect"];
    const given = { ops: 20, stray_every: 0 };
    const alias = simulate(vmapAlias, workload, given);
    const pks = simulate(BUILTIN_STRATEGIES["pks-kmap"], workload, given);
    expect(alias.metrics["compat.unsupported_maps"]).toBeGreaterThan(0);
    expect(alias.reason).toMatch(/atomic context: vm_map_ram\(\)\/vmap\(\) may sleep/);
    expect(pks.metrics["compat.unsupported_maps"]).toBe(0);
    // Only the sleepable table zeroing (alloc path) is served: a few maps, not the setters.
    expect(alias.metrics["strategy.aliases"]).toBeLessThan(
      alias.metrics["compat.unsupported_maps"],
    );
  });

  it("pagecache-io: writes (copy_page_from_iter_atomic) are atomic, reads (copy_page_to_iter) are not", () => {
    const workload = BUILTIN_WORKLOADS["pagecache-io"];
    const reads = simulate(vmapAlias, workload, { requests: 20, write_ratio: 0, stray_every: 0 });
    const writes = simulate(vmapAlias, workload, { requests: 20, write_ratio: 1, stray_every: 0 });
    expect(reads.metrics["compat.unsupported_maps"]).toBe(0);
    expect(writes.metrics["compat.unsupported_maps"]).toBeGreaterThan(0);
    expect(writes.metrics["strategy.aliases"]).toBe(0);
  });
});
