import { describe, expect, it } from "vitest";
import { Cat } from "../../core/ledger.ts";
import { FAULT_PKEY, OK, READ, WRITE } from "../../core/machine/index.ts";
import { pkrsRights } from "../../core/machine/pkrs.ts";
import pksKmap from "../../strategies/pks-kmap.ts";
import type { Operation } from "../../workloads/api.ts";
import { runWorkload, scripted, testWorkload } from "../helpers/sim.ts";
import { events, moved, type Setup, setUp } from "./helpers.ts";

/** Threads that map 1-4 pages locally, nest, write, yield and migrate while mapped. */
const busyLocal = testWorkload("busy-local", {
  region: () => ({ pages: 64, keyMode: "access-disable", contiguous: true }),
  threads: (_params, cpus) => cpus * 2,
  *generate({ thread, rng, cpus }): Iterable<Operation> {
    let handle = thread * 1_000_000;
    for (let i = 0; i < 200; i++) {
      const outer = handle++;
      const inner = handle++;
      const page = rng.int(0, 59);
      yield {
        kind: "map",
        handle: outer,
        page,
        count: rng.int(1, 4),
        intent: "write",
        scope: "local",
      };
      yield { kind: "access", handle: outer, offset: 0, length: 4096, write: true };
      yield {
        kind: "map",
        handle: inner,
        page: rng.int(0, 63),
        count: 1,
        intent: "read",
        scope: "local",
      };
      yield { kind: "access", handle: inner, offset: 0, length: 64, write: false };
      if (i % 7 === 0) yield { kind: "yield" };
      if (i % 31 === 0) yield { kind: "migrate", cpu: rng.int(0, cpus - 1) };
      yield { kind: "access", handle: outer, offset: 100, length: 8, write: true };
      yield { kind: "unmap", handle: inner };
      yield { kind: "unmap", handle: outer };
      yield { kind: "compute", cycles: 500, touches: 4 };
      yield { kind: "complete" };
    }
  },
});

/** A write fault on `vpn` by t[0] on CPU 0, taken as an exception: the handler's answer. */
function pkeyWriteFault(s: Setup, vpn: number) {
  s.machine.exceptionEnter(0);
  const answer = s.hooks.onFault!({ cpu: 0, thread: s.t[0], vpn, write: true, reason: "pkey" });
  s.machine.exceptionExit(0);
  return answer;
}

describe("pks-kmap (Weiny v10)", () => {
  it("never flushes a TLB or sends an IPI: map, unmap, switches and migrations are PKRS work only", () => {
    // With a 4K direct map, setting the key needs no split either, so the whole run has
    // no flush at all.
    const result = runWorkload(pksKmap, busyLocal, {
      machine: { directMapLeaf: "4k" },
      strayEvery: 0,
    });
    const m = result.metrics;
    expect(result.status).toBe("ok");
    expect(m).toMatchObject({
      "compat.false_faults": 0,
      "events.ipis": 0,
      "events.shootdowns": 0,
      "events.invlpg": 0,
      "events.full_flushes": 0,
      // The key goes on the region's PTEs at setup (reported apart); mapping writes none.
      "events.pte_writes": 0,
    });
    for (const name of [
      "setup.cycles",
      "events.context_switches",
      "events.migrations",
      "events.pkrs_writes",
    ]) {
      expect(m[name], name).toBeGreaterThan(0);
    }
    expect(m["cost.cycles.tlb_flush"] + m["cost.cycles.ipi_send"] + m["cost.cycles.invlpg"]).toBe(
      0,
    );
  });

  it("with the default 1G direct map, only setup's splits flush; mapping never does", () => {
    const s = setUp(pksKmap);
    const afterSetup = events(s.machine);
    expect(afterSetup.direct_map_splits).toBe(2); // 1G → 2M → 4K around the region
    const cycles = s.machine.ledger.byCategory();
    const a = s.map(s.t[0], [0, 1, 2]);
    const b = s.map(s.t[0], [5]);
    s.switchTo(0, s.t[2]);
    s.switchTo(0, s.t[0]);
    s.unmap(s.t[0], b);
    s.unmap(s.t[0], a);
    const delta = moved(afterSetup, events(s.machine));
    // Lift, x86_pkrs_load of t2 (default), of t0 (lifted), restore: four WRMSRs, nothing else.
    expect(delta).toEqual({ pkrs_writes: 4, context_switches: 2 });
    // Every cycle charged after setup is PKRS work or the context switch itself.
    const now = s.machine.ledger.byCategory();
    for (const [name, value] of Object.entries(now)) {
      if (name === "pkrs_write" || name === "context_switch") continue;
      expect(value, name).toBe(cycles[name as keyof typeof cycles]);
    }
  });

  it("lifts the key for the mapping thread only, on its CPU; nesting costs one write each way", () => {
    const s = setUp(pksKmap);
    const page = s.region.pfns[3];
    expect(s.machine.access(0, page, READ)).toBe(FAULT_PKEY); // AD at rest
    const outer = s.map(s.t[0], [3]);
    const inner = s.map(s.t[0], [3, 4]);
    expect(s.event("pkrs_writes")).toBe(1);
    expect(s.machine.access(0, outer.vpns[0], WRITE)).toBe(OK);
    expect(s.machine.access(1, page, WRITE)).toBe(FAULT_PKEY); // another CPU
    s.switchTo(0, s.t[2]);
    expect(s.machine.access(0, page, WRITE)).toBe(FAULT_PKEY); // another thread
    s.switchTo(0, s.t[0]);
    expect(s.machine.access(0, page, WRITE)).toBe(OK); // thread.pkrs came back with t0
    s.unmap(s.t[0], inner);
    expect(s.machine.access(0, page, WRITE)).toBe(OK); // still nested
    s.unmap(s.t[0], outer);
    expect(s.machine.access(0, page, WRITE)).toBe(FAULT_PKEY);
  });

  it("skips the PKRS write when the per-CPU cache already holds the value", () => {
    const s = setUp(pksKmap);
    // t0 and t2 both run with PKS_INIT_VALUE: switching between them writes nothing.
    const before = events(s.machine);
    s.switchTo(0, s.t[2]);
    expect(moved(before, events(s.machine))).toEqual({
      context_switches: 1,
      pkrs_writes_skipped: 1,
    });
    // A thread that already has the key read-write (granted by the relaxed fault
    // handler) lifts it again without a WRMSR...
    s.switchTo(0, s.t[0]);
    const global = s.map(s.t[0], [0], "write", "global");
    expect(s.machine.access(0, global.vpns[0], WRITE)).toBe(FAULT_PKEY);
    expect(pkeyWriteFault(s, global.vpns[0])).toBe("retry");
    expect(pkrsRights(s.t[0].pkrs, 1)).toBe("rw");
    const writes = s.event("pkrs_writes");
    const local = s.map(s.t[0], [1]);
    expect(s.event("pkrs_writes")).toBe(writes);
    s.unmap(s.t[0], local);
    expect(s.event("pkrs_writes")).toBe(writes + 1); // kunmap_local restores AD
    // ...while with pkrs-cache = false the same lift writes the MSR.
    const uncached = setUp(pksKmap, { options: { "pkrs-cache": false } });
    const g = uncached.map(uncached.t[0], [0], "write", "global");
    pkeyWriteFault(uncached, g.vpns[0]);
    const w = uncached.event("pkrs_writes");
    uncached.map(uncached.t[0], [1]);
    expect(uncached.event("pkrs_writes")).toBe(w + 1);
  });

  it("exception entry starts from the protected default and exit restores the lift", () => {
    const s = setUp(pksKmap);
    const mapping = s.map(s.t[0], [2]);
    expect(s.machine.access(0, mapping.vpns[0], WRITE)).toBe(OK);
    s.machine.exceptionEnter(0);
    expect(s.machine.access(0, mapping.vpns[0], WRITE)).toBe(FAULT_PKEY);
    s.machine.exceptionExit(0);
    expect(s.machine.access(0, mapping.vpns[0], WRITE)).toBe(OK);
  });

  it("write-disable regions rest at WD: reads pass, writes need the lift", () => {
    const s = setUp(pksKmap, { keyMode: "write-disable" });
    const page = s.region.pfns[0];
    expect(s.machine.access(0, page, READ)).toBe(OK);
    expect(s.machine.access(0, page, WRITE)).toBe(FAULT_PKEY);
    const mapping = s.map(s.t[0], [0]);
    expect(s.machine.access(0, mapping.vpns[0], WRITE)).toBe(OK);
    s.unmap(s.t[0], mapping);
    expect(s.machine.access(0, page, WRITE)).toBe(FAULT_PKEY);
  });

  it("kmap() is not supported for protected pages: relaxed warns once and grants, strict oopses", () => {
    // Two threads, each mapping five pages globally (kmap()) in turn and writing them.
    const globalUse = scripted(
      [0, 1].map((thread) =>
        [0, 1, 2, 3, 4].flatMap((i): Operation[] => {
          const handle = thread * 100 + i;
          return [
            { kind: "map", handle, page: i, count: 1, intent: "write", scope: "global" },
            { kind: "access", handle, offset: 0, length: 8, write: true },
            { kind: "unmap", handle },
            { kind: "complete" },
          ];
        }),
      ),
      { pages: 8 },
    );
    const run = (faultMode: string) =>
      runWorkload(pksKmap, globalUse, {
        machine: { cpus: 2, memoryGiB: 2 },
        strategyOptions: { "fault-mode": faultMode },
        seed: 3,
        strayEvery: 0,
      }).metrics;
    const relaxed = run("relaxed");
    // Each thread faults once; afterwards it keeps read-write on the key.
    expect(relaxed["compat.false_faults"]).toBe(2);
    expect(relaxed["compat.broken_accesses"]).toBe(0);
    expect(relaxed["strategy.relaxed_grants"]).toBe(2);
    expect(relaxed["strategy.warn_once"]).toBe(1);
    const strict = run("strict");
    expect(strict["compat.false_faults"]).toBe(10);
    expect(strict["compat.broken_accesses"]).toBe(10);
    expect(strict["strategy.fault_oopses"]).toBe(10);
  });

  it("has no long-term mapping", () => {
    const s = setUp(pksKmap);
    const outcome = s.tryMap(s.t[0], [0], "write", "long-term");
    expect(outcome.kind).toBe("unsupported");
  });

  it("charges map/unmap only to PKRS writes", () => {
    const s = setUp(pksKmap);
    const before = s.machine.ledger.byCategory();
    s.unmap(s.t[0], s.map(s.t[0], [0, 1, 2, 3]));
    const after = s.machine.ledger.byCategory();
    const changed = Object.keys(after).filter(
      (name) => after[name as keyof typeof after] !== before[name as keyof typeof before],
    );
    expect(changed).toEqual(["pkrs_write"]);
    expect(s.machine.ledger.categoryTotal(Cat.pkrs_write)).toBeGreaterThan(0);
  });
});
