import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserInputError } from "../../core/errors.ts";
import {
  BUILTIN_WORKLOAD_NAMES,
  BUILTIN_WORKLOADS,
  DEFAULT_WORKLOAD_NAMES,
  describeWorkload,
  EXPERIMENT_WORKLOADS,
  loadWorkloadPlugin,
  resolveWorkloadParams,
  resolveWorkloads,
  workloadMetadata,
} from "../../workloads/registry.ts";
import { nonEmptyEvery } from "../helpers/lists.ts";
import { tempFile } from "../helpers/tmp.ts";

const API = join(process.cwd(), "workloads", "api.ts");

const PLUGIN = `import { defineWorkload } from ${JSON.stringify(API)};
export default defineWorkload({
  name: "tiny-plugin",
  version: "0.1.0",
  summary: "one map, one write, one unmap per op",
  citation: "test fixture",
  params: { ops: { default: 3, unit: "ops", description: "operations per thread", min: 1 } },
  region: () => ({ pages: 8, keyMode: "access-disable", contiguous: true }),
  threads: (_params, cpus) => cpus,
  *generate({ thread, threads, params }) {
    for (let i = 0; i < params.ops; i++) {
      const handle = i * threads + thread;
      yield { kind: "map", handle, page: 0, count: 1, intent: "write", scope: "local" };
      yield { kind: "access", handle, offset: 0, length: 8, write: true };
      yield { kind: "unmap", handle };
      yield { kind: "complete" };
    }
  },
});
`;

const fixture = (name: string, text: string) => tempFile("workload", name, text);

describe("workload registry", () => {
  it("has the built-ins under the names of the interface", () => {
    expect(BUILTIN_WORKLOAD_NAMES).toEqual([
      "pmem-dax",
      "pagetable-protect",
      "btrfs-metadata",
      "btrfs-debug-ro",
      "pagecache-io",
      "long-term-map",
      "cross-cpu-handoff",
      "preempt-migrate",
      "xpfo-churn",
      "vmap-churn",
      "lmbench",
      "mmap-sync",
      "tlb-flush-bench",
    ]);
    for (const name of BUILTIN_WORKLOAD_NAMES) expect(BUILTIN_WORKLOADS[name].name).toBe(name);
  });

  it("resolves names in order, the default matrix for an empty list, and refuses unknown and repeated names", async () => {
    // The experiment workloads (issue 18) run only when named.
    expect((await resolveWorkloads([])).map((entry) => entry.module.name)).toEqual(
      BUILTIN_WORKLOAD_NAMES.filter((name) => !EXPERIMENT_WORKLOADS.has(name)),
    );
    // The list the claims run (reports/analyses/claims/claims.ts) is that same selection.
    expect(DEFAULT_WORKLOAD_NAMES).toEqual(
      (await resolveWorkloads([])).map((entry) => entry.module.name),
    );
    expect(nonEmptyEvery([...EXPERIMENT_WORKLOADS], (name) => name in BUILTIN_WORKLOADS)).toBe(
      true,
    );
    const named = await resolveWorkloads(["tlb-flush-bench", "lmbench"]);
    expect(named.map((entry) => entry.module.name)).toEqual(["tlb-flush-bench", "lmbench"]);
    const chosen = await resolveWorkloads(["vmap-churn", "pmem-dax"]);
    expect(chosen.map((entry) => entry.module.name)).toEqual(["vmap-churn", "pmem-dax"]);
    await expect(resolveWorkloads(["pmem-dacs"])).rejects.toThrow(/Did you mean "pmem-dax"/);
    await expect(resolveWorkloads(["pmem-dax", "pmem-dax"])).rejects.toThrow(
      /workload "pmem-dax" is selected twice/,
    );
  });

  it("loads a plugin from a path, lists it, and refuses a plugin that reuses a name", async () => {
    const path = fixture("tiny.ts", PLUGIN);
    const plugin = await loadWorkloadPlugin(path);
    expect(plugin.name).toBe("tiny-plugin");
    const chosen = await resolveWorkloads([path, "pmem-dax"]);
    expect(chosen[0].module.name).toBe("tiny-plugin");
    expect(chosen[0].source).toBe(path);
    const clash = fixture("clash.ts", PLUGIN.replace('"tiny-plugin"', '"pmem-dax"'));
    await expect(resolveWorkloads([clash])).rejects.toThrow(
      /duplicate workload name "pmem-dax": defined by the built-in workloads\/pmem-dax\.ts and by plugin /,
    );
    // A plugin without stray parameters still gets them.
    expect(resolveWorkloadParams(plugin)).toMatchObject({ ops: 3, stray_every: 20 });
  });

  it("names the file and the problem when a plugin is malformed", async () => {
    await expect(loadWorkloadPlugin("/nonexistent/w.ts")).rejects.toThrow(
      /workload plugin \/nonexistent\/w.ts: file not found/,
    );
    const noDefault = fixture("nodefault.ts", "export const x = 1;\n");
    await expect(loadWorkloadPlugin(noDefault)).rejects.toThrow(/no default export/);
    const badName = fixture("badname.ts", PLUGIN.replace('"tiny-plugin"', '"Tiny Plugin"'));
    await expect(loadWorkloadPlugin(badName)).rejects.toThrow(
      /badname\.ts: name: must be kebab-case/,
    );
    const noUnit = fixture("nounit.ts", PLUGIN.replace('unit: "ops", ', ""));
    await expect(loadWorkloadPlugin(noUnit)).rejects.toThrow(/params\.ops\.unit/);
    const badRegion = fixture("badregion.ts", PLUGIN.replace('"access-disable"', '"read-only"'));
    await expect(loadWorkloadPlugin(badRegion)).rejects.toThrow(/region\(defaults\)\.keyMode/);
    const syntax = fixture("syntax.ts", "export default {\n");
    await expect(loadWorkloadPlugin(syntax)).rejects.toThrow(
      /syntax\.ts: cannot be loaded as a module: syntax error at line 2/,
    );
    const text = fixture("notes.txt", PLUGIN);
    await expect(loadWorkloadPlugin(text)).rejects.toThrow(
      /notes\.txt: unsupported file type "\.txt"/,
    );
  });

  it("resolves parameters: defaults, conversion from text, and user errors naming the choices", () => {
    const dax = BUILTIN_WORKLOADS["pmem-dax"];
    expect(resolveWorkloadParams(dax)).toMatchObject({ requests: 300, write_ratio: 0.3 });
    expect(resolveWorkloadParams(dax, { requests: "12", write_ratio: "0.5" })).toMatchObject({
      requests: 12,
      write_ratio: 0.5,
    });
    const attempt = (given: Record<string, unknown>) => () => resolveWorkloadParams(dax, given);
    expect(attempt({ reqests: 3 })).toThrow(UserInputError);
    expect(attempt({ reqests: 3 })).toThrow(/Did you mean "requests"/);
    expect(attempt({ requests: 0 })).toThrow(/out of range/);
    expect(attempt({ requests: 2.5 })).toThrow(/whole number/);
    expect(attempt({ write_ratio: "lots" })).toThrow(/write_ratio/);
    expect(attempt({ stray_mix: "wild-direct,wild-indirect" })).toThrow(
      /unknown stray class in stray_mix "wild-indirect"/,
    );
    const btrfs = BUILTIN_WORKLOADS["btrfs-metadata"];
    expect(() => resolveWorkloadParams(btrfs, { mapping: "per-folio" })).toThrow(
      /per-helper, per-visit, per-search/,
    );
  });

  it("describes workloads as text and as JSON-able metadata", () => {
    for (const name of BUILTIN_WORKLOAD_NAMES) {
      const module = BUILTIN_WORKLOADS[name];
      const meta = workloadMetadata(module);
      expect(JSON.parse(JSON.stringify(meta))).toEqual(meta);
      expect(meta.params.stray_every.kind).toBe("number");
      expect(meta.threadsAt16Cpus).toBeGreaterThan(0);
      const text = describeWorkload(module);
      expect(text).toContain(name);
      expect(text).toContain("stray_mix");
      expect(text).toContain(meta.citation);
    }
    expect(workloadMetadata(BUILTIN_WORKLOADS["btrfs-debug-ro"]).region.keyMode).toBe(
      "write-disable",
    );
    // PMEM is device memory, and says so; page tables are RAM.
    expect(workloadMetadata(BUILTIN_WORKLOADS["pmem-dax"]).region.memory).toBe("device");
    expect(describeWorkload(BUILTIN_WORKLOADS["pmem-dax"])).toMatch(
      /region at defaults: .*device memory/,
    );
    expect(workloadMetadata(BUILTIN_WORKLOADS["pagetable-protect"]).region.memory).toBe("ram");
  });
});
