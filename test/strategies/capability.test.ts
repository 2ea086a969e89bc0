import { describe, expect, it } from "vitest";
import { FAULT_CHECK, OK, READ, WRITE } from "../../core/machine/index.ts";
import { checkPlugin } from "../../strategies/conformance/index.ts";
import { loadStrategyPlugin } from "../../strategies/registry.ts";
import { pkslab } from "../helpers/cli.ts";
import { setUp } from "./helpers.ts";

const PLUGIN = "examples/capability.ts";

describe("examples/capability.ts: bounded capabilities through the access-check extension point", () => {
  it("a capability covers exactly the mapped range with the permission asked for", async () => {
    const module = await loadStrategyPlugin(PLUGIN);
    const s = setUp(module, { pages: 8 });
    const [p0, p1, p2] = [s.region.pfns[0], s.region.pfns[1], s.region.pfns[2]];
    // No direct-map capability: a stray through the direct map faults, from any CPU.
    expect(s.machine.access(0, p0, READ)).toBe(FAULT_CHECK);
    expect(s.machine.access(1, p0, WRITE)).toBe(FAULT_CHECK);
    // Pages outside the region are untouched (the default capability covers them).
    expect(s.machine.access(0, 1000, WRITE)).toBe(OK);

    const read = s.map(s.t[0], [0, 1], "read", "local");
    expect(read.vpns).toEqual([p0, p1]);
    expect(s.machine.access(0, p0, READ)).toBe(OK);
    expect(s.machine.access(0, p1, READ)).toBe(OK);
    // Wrong permission: a read capability does not write.
    expect(s.machine.access(0, p1, WRITE)).toBe(FAULT_CHECK);
    // Out of bounds: the next page of the region.
    expect(s.machine.access(0, p2, READ)).toBe(FAULT_CHECK);
    // A local capability belongs to its thread: another CPU's thread has none.
    expect(s.machine.access(1, p0, READ)).toBe(FAULT_CHECK);
    s.unmap(s.t[0], read);
    // Revoked at unmap.
    expect(s.machine.access(0, p0, READ)).toBe(FAULT_CHECK);

    // A global capability may be handed to another thread; write permission writes.
    const global = s.map(s.t[0], [2], "write", "global");
    expect(s.machine.access(1, p2, WRITE)).toBe(OK);
    expect(s.machine.access(0, p2, WRITE)).toBe(OK);
    s.unmap(s.t[0], global);
    expect(s.machine.access(1, p2, WRITE)).toBe(FAULT_CHECK);
    // No page-table or TLB work, ever.
    expect(s.event("pte_writes")).toBe(0);
    expect(s.event("shootdowns")).toBe(0);
  });

  it("passes check-plugin", async () => {
    const report = checkPlugin(await loadStrategyPlugin(PLUGIN));
    expect(report.checks.filter((check) => !check.passed).map((check) => check.name)).toEqual([]);
    expect(report.passed).toBe(true);
    const run = await pkslab`check-plugin ${PLUGIN}`;
    expect(run.code).toBe(0);
  });

  it("runs in compare and reports ok cells", async () => {
    const run = await pkslab`compare
      ${["--plugin", PLUGIN, "--strategies", "unprotected,capability"]}
      ${["--workloads", "pmem-dax", "--seeds", "1", "--format", "json"]}`;
    expect(run.code).toBe(0);
    expect([...run.stdout.matchAll(/"status": "(\w+)"/g)].map((m) => m[1])).toEqual(["ok", "ok"]);
  });
});
