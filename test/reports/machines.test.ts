import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { machinesModel, renderMachines } from "../../reports/render/machines.ts";
import { loadResults } from "../../reports/results/results.ts";
import { pkslab } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const SMALL = ["--workloads", "pmem-dax,btrfs-debug-ro", "--seeds", "2", "--cpus", "4"];

describe("the cross-machine section (pkslab machines x86.json highmem.json)", () => {
  it("sets the best ok design of each machine beside the capability design, and names winner changes", async () => {
    const dir = tempDir("machines");
    const x86 = join(dir, "x86.json");
    const highmem = join(dir, "highmem.json");
    const a = await pkslab`compare ${SMALL} --plugin examples/capability.ts --out ${x86}`;
    expect(a.code).toBe(0);
    const b = await pkslab`compare ${SMALL} --set machine.arch=x86-32-highmem --out ${highmem}`;
    expect(b.code).toBe(0);
    const docA = loadResults(x86);
    const docB = loadResults(highmem);
    const model = machinesModel(docA, docB);
    expect(model.lines.map((line) => line.workload)).toEqual(["pmem-dax", "btrfs-debug-ro"]);
    const statusOf = (doc: typeof docA, workload: string, strategy: string) =>
      doc.results.find((cell) => cell.workload === workload && cell.strategy === strategy)?.status;
    for (const line of model.lines) {
      // Only ok cells compete; the baseline and the capability design never win.
      expect(line.x86 && statusOf(docA, line.workload, line.x86.strategy)).toBe("ok");
      expect(line.highmem && statusOf(docB, line.workload, line.highmem.strategy)).toBe("ok");
      for (const entry of [line.x86, line.highmem]) {
        expect(["unprotected", "capability"]).not.toContain(entry?.strategy);
      }
      // No PKS on HIGHMEM.
      expect(line.highmem?.strategy).not.toBe("pks-kmap");
      expect(statusOf(docB, line.workload, "pks-kmap")).toBe("unsupported");
      // The winner is the cheapest ok design of its machine.
      const cheapest = docB.results
        .filter(
          (c) => c.workload === line.workload && c.status === "ok" && c.strategy !== "unprotected",
        )
        .map((c) => c.summary["cost.cycles_per_op"].mean ?? Number.NaN)
        .sort((x, y) => x - y)[0];
      expect(line.highmem?.cyclesPerOp).toBeCloseTo(cheapest, 6);
      expect(line.capability?.strategy).toBe("capability");
      expect(line.changesWinner).toBe(line.x86?.strategy !== line.highmem?.strategy);
    }
    const text = renderMachines(model);
    for (const line of model.lines.filter((l) => l.changesWinner))
      expect(text).toContain(line.workload);
    const run = await pkslab`machines ${x86} ${highmem}`;
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(text);
  });
});
