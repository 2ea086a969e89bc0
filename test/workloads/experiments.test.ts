import { describe, expect, it } from "vitest";
import type { MachineConfig } from "../../core/machine/index.ts";
import unprotected from "../../strategies/unprotected.ts";
import type { WorkloadModule } from "../../workloads/api.ts";
import mmapSync from "../../workloads/mmap-sync.ts";
import tlbFlushBench from "../../workloads/tlb-flush-bench.ts";
import { simulate } from "../helpers/sim.ts";

function run(
  workload: WorkloadModule,
  params: Record<string, unknown>,
  machine: Partial<MachineConfig>,
) {
  const result = simulate(
    unprotected,
    workload,
    { stray_every: 0, ...params },
    { machine: { cpus: 8, ...machine }, checkInvariants: true },
  );
  expect(result.violations).toEqual([]);
  return result.metrics;
}

describe("mmap-sync (sysbench fileio mmap + sync)", () => {
  const params = { threads: 4, requests: 100, sync_every: 25, file_pages: 512 };

  it("write-protects each dirty page with a one-page flush reaching only the other threads' CPUs", () => {
    const m = run(mmapSync, params, {});
    expect(m["events.mm_flushes"]).toBeGreaterThan(0);
    // Every flush is an IPI to each of the 3 other CPUs running the process (CPUs 4-7 idle).
    expect(m["events.ipis"]).toBe(3 * m["events.shootdowns"]);
    expect(m["events.shootdowns"]).toBe(m["events.mm_flushes"]);
  });

  it("flush=serial waits longer than concurrent for the same flushes", () => {
    const serial = run(mmapSync, params, { flush: "serial" });
    const concurrent = run(mmapSync, params, { flush: "concurrent" });
    // How many flushes the run makes depends on timing (which CPUs are still in the mm's
    // cpumask); the rule is per flush: serial waits for the IPIs after its own flush.
    expect(serial["events.mm_flushes"]).toBeGreaterThan(0);
    expect(
      Math.abs(serial["events.mm_flushes"] / concurrent["events.mm_flushes"] - 1),
    ).toBeLessThan(0.05);
    expect(serial["cost.cycles.ipi_wait"] / serial["events.mm_flushes"]).toBeGreaterThan(
      concurrent["cost.cycles.ipi_wait"] / concurrent["events.mm_flushes"],
    );
  });
});

describe("tlb-flush-bench (will-it-scale tlb_flush2 threads)", () => {
  const params = { threads: 8, loops: 64 };

  it("each loop's madvise is a one-page shootdown of the process's other CPUs", () => {
    const m = run(tlbFlushBench, params, {});
    expect(m["run.operations"]).toBe(8 * 64);
    expect(m["events.shootdowns"]).toBe(8 * 64);
    expect(m["events.ipis"]).toBe(8 * 64 * 7);
    // Write fault and zero-page read fault per loop.
    expect(m["events.user_faults"]).toBe(2 * 8 * 64);
  });

  it("with broadcast=invlpgb the shootdowns become INVLPGB + TLBSYNC, no IPIs", () => {
    const m = run(tlbFlushBench, params, { broadcast: "invlpgb" });
    expect(m["events.ipis"]).toBe(0);
    expect(m["events.invlpgb"]).toBe(8 * 64);
    expect(m["cost.cycles.ipi_handle"]).toBe(0);
    const ipi = run(tlbFlushBench, params, {});
    expect(m["cost.total_cycles"]).toBeLessThan(ipi["cost.total_cycles"]);
  });
});
