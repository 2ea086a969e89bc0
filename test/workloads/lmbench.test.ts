import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { StrategyModule } from "../../strategies/api.ts";
import pksKmap from "../../strategies/pks-kmap.ts";
import unprotected from "../../strategies/unprotected.ts";
import lmbench from "../../workloads/lmbench.ts";
import { describeWorkload } from "../../workloads/registry.ts";
import { pkslab } from "../helpers/cli.ts";
import { simulate } from "../helpers/sim.ts";
import { tempDir } from "../helpers/tmp.ts";

const run = (test: string, strategy: StrategyModule, ops = 20) =>
  simulate(strategy, lmbench, { test, ops, stray_every: 0 }, { checkInvariants: true });

describe("lmbench workload", () => {
  it("page-fault: one user fault per iteration, fault-around PTEs written in one window", () => {
    const plain = run("page-fault", unprotected);
    const pks = run("page-fault", pksKmap);
    for (const result of [plain, pks]) {
      expect(result.violations).toEqual([]);
      expect(result.metrics["events.user_faults"]).toBe(20);
      expect(result.metrics["compat.broken_accesses"]).toBe(0);
    }
    // Under pks-kmap each window is an enable/disable pair: at least two WRMSRs per fault.
    expect(pks.metrics["events.pkrs_writes"]).toBeGreaterThanOrEqual(2 * 20);
    expect(pks.metrics["cost.cycles_per_op"]).toBeGreaterThan(plain.metrics["cost.cycles_per_op"]);
  });

  it("fork-exit and fork-exec: one fork and one exit_mmap per iteration (exec also tears down the forked copy)", () => {
    const exit = run("fork-exit", pksKmap, 10);
    expect(exit.violations).toEqual([]);
    expect(exit.metrics["events.forks"]).toBe(10);
    expect(exit.metrics["events.exits"]).toBe(10);
    // dup_mmap's flush_tlb_mm(parent) and the child's exit flush.
    expect(exit.metrics["events.mm_flushes"]).toBe(20);
    const exec = run("fork-exec", pksKmap, 10);
    expect(exec.violations).toEqual([]);
    expect(exec.metrics["events.execs"]).toBe(10);
    expect(exec.metrics["events.exits"]).toBe(20);
    expect(exec.metrics["cost.cycles_per_op"]).toBeGreaterThan(exit.metrics["cost.cycles_per_op"]);
  });

  it("syscall: entry and exit only, no page-table write", () => {
    const result = run("syscall", unprotected);
    expect(result.metrics["events.syscalls"]).toBe(20);
    expect(result.metrics["events.user_faults"]).toBe(0);
    // Only the process's pgd, zeroed once: no PTE write per iteration.
    expect(run("syscall", unprotected, 40).metrics["events.pte_writes"]).toBe(
      result.metrics["events.pte_writes"],
    );
  });

  it("describe names the LMbench test each value follows", () => {
    const text = describeWorkload(lmbench);
    for (const program of [
      "lat_pagefault",
      "lat_proc fork",
      "lat_proc exec",
      "lat_syscall null",
      "lat_proc shell",
    ]) {
      expect(text).toContain(program);
    }
    expect(text).toContain("filemap_map_pages");
  });

  it("--set lmbench.test=nope: exit 2, one error naming the tests, nothing written", async () => {
    const out = join(tempDir("lmbench"), "r.json");
    const result = await pkslab`compare --workloads lmbench --set lmbench.test=nope --out ${out}`;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("page-fault");
    expect(result.stderr).toContain("fork-exec");
    expect(existsSync(out)).toBe(false);
  });
});
