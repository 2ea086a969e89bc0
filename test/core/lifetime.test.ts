import { describe, expect, it } from "vitest";
import type { MachineConfig } from "../../core/machine/index.ts";
import { loadProfile } from "../../core/profile.ts";
import type { StrategyModule } from "../../strategies/api.ts";
import pksKmap from "../../strategies/pks-kmap.ts";
import type { Operation } from "../../workloads/api.ts";
import { runScript } from "../helpers/sim.ts";

/** Fixed operation lists (thread i: lists[i]) on a 256-page write-disable region. */
const run = (
  lists: Operation[][],
  strategy?: StrategyModule,
  machine: Partial<MachineConfig> = {},
) => runScript(lists, { strategy, machine, region: { keyMode: "write-disable" } });

const p = loadProfile().parameters;

describe("kernel entry operations", () => {
  it("a syscall costs its entry/exit and leaves PKRS alone; an interrupt saves and restores it through pkrs_cache", () => {
    const base = run([[{ kind: "complete" }]], pksKmap).metrics;
    const result = run(
      [
        [
          { kind: "kernel-entry", via: "syscall" },
          { kind: "kernel-exit" },
          { kind: "kernel-entry", via: "interrupt" },
          { kind: "kernel-exit" },
          { kind: "complete" },
        ],
      ],
      pksKmap,
    );
    expect(result.violations).toEqual([]);
    const m = result.metrics;
    expect(m["events.syscalls"]).toBe(1);
    expect(m["events.interrupts"]).toBe(1);
    expect(m["cost.cycles.entry"]).toBe(
      p.syscall_entry_exit_cycles.value + p.irq_entry_exit_cycles.value,
    );
    // The thread ran with the default PKRS already: both interrupt-path writes are skipped.
    expect(m["events.pkrs_writes"]).toBe(base["events.pkrs_writes"]);
    expect(m["events.pkrs_writes_skipped"] - base["events.pkrs_writes_skipped"]).toBe(2);
  });

  it("user time is charged as user cycles and flagged when a kernel mapping is live", () => {
    const ok = run([[{ kind: "user", cycles: 5000 }, { kind: "complete" }]]);
    expect(ok.metrics["cost.cycles.user"]).toBe(5000);
    expect(ok.violations).toEqual([]);
    const bad = run([
      [
        { kind: "map", handle: 1, page: 0, count: 1, intent: "write", scope: "local" },
        { kind: "user", cycles: 10 },
        { kind: "unmap", handle: 1 },
      ],
    ]);
    expect(bad.violations?.some((v) => v.includes("kernel mapping handle 1 is live"))).toBe(true);
  });
});

describe("process lifetime operations", () => {
  it("a fault installs PTEs in a protected page-table page through the strategy's write window", () => {
    const ops: Operation[] = [
      { kind: "fault", page: 5, write: true, anon: true },
      { kind: "complete" },
    ];
    const plain = run([ops]);
    const pks = run([ops], pksKmap);
    expect(plain.violations).toEqual([]);
    expect(pks.violations).toEqual([]);
    // pgd and one PTE table allocated; no legitimate access broke.
    expect(plain.metrics["events.pt_allocs"]).toBe(2);
    expect(pks.metrics["events.pt_allocs"] - pks.metrics["events.direct_map_splits"]).toBe(2);
    expect(pks.metrics["compat.broken_accesses"]).toBe(0);
    expect(pks.metrics["events.user_faults"]).toBe(1);
    // pks-kmap opens and closes the key around each table write: 3 windows (2 zeroings + the PTE).
    expect(pks.metrics["events.pkrs_writes"]).toBe(plain.metrics["events.pkrs_writes"] + 6);
  });

  it("fork copies anonymous PTEs one window per table and write-protects the parent's; file PTEs are not copied", () => {
    const faults: Operation[] = [];
    for (let page = 0; page < 8; page++)
      faults.push({ kind: "fault", page, write: true, anon: true });
    // A second table holding only file PTEs (fault-around of 4).
    faults.push({ kind: "fault", page: 512, write: false, ptes: 4 });
    const base = run([faults]);
    const forked = run([[...faults, { kind: "fork", child: 2 }]]);
    expect(forked.violations, String(forked.violations)).toEqual([]);
    const more = (name: string) => forked.metrics[name] - base.metrics[name];
    // Child pgd + one table (the file-only table is skipped); the parent gets a full flush.
    expect(more("events.pt_allocs")).toBe(2);
    expect(more("events.forks")).toBe(1);
    expect(more("events.mm_flushes")).toBe(1);
    // Zeroing the two new pages (512 PTEs each), 8 copied PTEs, 8 write-protected in the parent.
    expect(more("events.pte_writes")).toBe(512 * 2 + 8 + 8);
  });

  it("fork-exit: the child's exit zaps its tables, flushes and frees them; the pool is reused", () => {
    const ops: Operation[] = [{ kind: "fault", page: 0, write: true, anon: true }];
    for (let i = 0; i < 50; i++) {
      ops.push(
        { kind: "fork", child: 100 + i },
        { kind: "exit", mm: 100 + i },
        { kind: "complete" },
      );
    }
    // 50 children of 2 pages each would not fit in 16 pages without reuse.
    const result = runScript([ops], {
      machine: { cpus: 2 },
      region: { pages: 16, keyMode: "write-disable" },
    });
    expect(result.status).toBe("ok");
    expect(result.metrics["events.exits"]).toBe(50);
    // Two switches per child, plus the one that first put the thread on its CPU.
    expect(result.metrics["events.context_switches"]).toBe(101);
  });

  it("exec replaces the address space: the old one is torn down when no other thread uses it", () => {
    const result = run([
      [
        { kind: "fault", page: 0, write: true, anon: true },
        { kind: "exec", mm: 9, ptes: 3 },
        { kind: "exit" },
        { kind: "complete" },
      ],
    ]);
    expect(result.violations, String(result.violations)).toEqual([]);
    expect(result.metrics["events.execs"]).toBe(1);
    expect(result.metrics["events.exits"]).toBe(2);
  });

  it("zap clear flushes the range on the CPUs of the mm's threads only; wrprotect flushes each dirty page", () => {
    const thread = (mm: number, pages: number[]): Operation[] => [
      { kind: "use-mm", mm },
      ...pages.map((page): Operation => ({ kind: "fault", page, write: true, anon: true })),
      { kind: "sleep", cycles: 1_000_000 },
    ];
    const result = run([
      [
        { kind: "use-mm", mm: 1 },
        { kind: "fault", page: 0, write: true, anon: true },
        { kind: "fault", page: 1, write: true, anon: true },
        { kind: "sleep", cycles: 200_000 },
        { kind: "zap", page: 0, count: 2, mode: "wrprotect" },
        { kind: "zap", page: 0, count: 2, mode: "clear" },
        { kind: "complete" },
      ],
      thread(1, [10]),
      thread(2, [20]),
      thread(2, [30]),
    ]);
    expect(result.violations).toEqual([]);
    // Two one-page flushes (wrprotect) and one range flush, each reaching CPU 1 only.
    expect(result.metrics["events.mm_flushes"]).toBe(3);
    expect(result.metrics["events.ipis"]).toBe(3);
  });
});
