import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { renderDocument } from "../../reports/commands/output.ts";
import { FORMATS } from "../../reports/render/index.ts";
import { pkslab } from "../helpers/cli.ts";
import { nonEmptyEvery } from "../helpers/lists.ts";
import { tempDir } from "../helpers/tmp.ts";
import { SMALL_ARGS, validResults } from "./helpers.ts";

const dir = tempDir("cli");
const ONE_SEED = [...SMALL_ARGS, "--seeds", "1"];

describe("compare: exit codes and messages", () => {
  it("exits 2 on an unknown strategy and suggests the closest name", async () => {
    const run = await pkslab`compare --strategies pks-kmpa`;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Did you mean "pks-kmap"');
    expect(run.stderr).not.toContain("    at ");
  });

  it("exits 2 on an unknown --set target, listing the valid ones", async () => {
    const run = await pkslab`compare ${ONE_SEED} --set pmem-dx.pages=64`;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Did you mean "pmem-dax"');
    expect(run.stderr).toContain("profile");
  });

  it("exits 2 on an unknown parameter, a bad value and a malformed --set", async () => {
    for (const set of ["pmem-dax.pagez=64", "pmem-dax.pages=lots", "profile.nope=1", "pages=64"]) {
      const run = await pkslab`compare ${ONE_SEED} --set ${set}`;
      expect(run.code, set).toBe(2);
      expect(run.stderr, set).toMatch(/^pkslab: error: /);
    }
  });

  it("exits 2 on an unknown format and an unknown baseline", async () => {
    expect((await pkslab`compare ${ONE_SEED} --format xml`).code).toBe(2);
    const run = await pkslab`compare ${ONE_SEED} --baseline vmap-alias`;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("baseline");
  });

  it("writes no --out file when the input is bad", async () => {
    const out = join(dir, "never.json");
    const run = await pkslab`compare --strategies nope --out ${out}`;
    expect(run.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it("refuses run flags together with --from", async () => {
    const run = await pkslab`compare --from x.json --seeds 3`;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--seeds");
  });
});

describe("compare: failing cells and foreign files", () => {
  it("still reports when a strategy throws, marks its cells as errors and exits 1", async () => {
    const out = join(dir, "errors.json");
    const run = await pkslab`compare
      --strategies ${`unprotected,${join(import.meta.dirname, "fixtures", "throws-on-map.ts")}`}
      --workloads pmem-dax --seeds 2 --cpus 4 --out ${out}`;
    expect(run.code).toBe(1);
    const doc = validResults(readFileSync(out, "utf8"), out);
    const failed = doc.results.find((cell) => cell.strategy === "throws-on-map");
    expect(failed?.status).toBe("failed");
    expect(failed?.reason).toContain("fixture: map refused");
    const email = await pkslab`compare --from ${out} --format email`;
    // The failed cell has no numbers: its status stands where they would, its reason below.
    expect(email.stdout).toMatch(/cycles\/op\s+throws-on-map\s+failed/);
    expect(email.stdout).toContain("note: throws-on-map: failed: seed 1:");
  });

  it("refuses to re-render a result file of another schema version", async () => {
    const doc = JSON.parse(
      readFileSync(join(import.meta.dirname, "..", "golden", "small.json"), "utf8"),
    );
    for (const version of [1, 3]) {
      const path = join(dir, `v${version}.json`);
      writeFileSync(path, JSON.stringify({ ...doc, schemaVersion: version }));
      const run = await pkslab`compare --from ${path} --out ${join(dir, `v${version}.txt`)}`;
      expect(run.code).toBe(2);
      // The message names the file's version and the one this pkslab reads.
      expect(run.stderr).toContain(`schema version ${version}`);
      expect(run.stderr).toContain("schema version 2");
      expect(existsSync(join(dir, `v${version}.txt`))).toBe(false);
    }
  });
});

describe("compare: --set and --stray-every reach their targets", () => {
  it("sets strategy options, strategy costs, workload parameters and profile values", async () => {
    const run = await pkslab`compare ${ONE_SEED} --set pks-kmap.fault-mode=strict
      --set pmem-dax.requests=20 --set profile.wrmsr_pkrs_cycles=99 --stray-every 0
      --format json`;
    expect(run.code).toBe(0);
    const doc = validResults(run.stdout, "stdout");
    const config = doc.context.config;
    expect(config.strategies.find((s) => s.name === "pks-kmap")?.options["fault-mode"]).toBe(
      "strict",
    );
    expect(config.workloads.find((w) => w.name === "pmem-dax")?.params.requests).toBe(20);
    expect(config.profileOverrides).toEqual({ wrmsr_pkrs_cycles: 99 });
    expect(doc.context.costProfile.parameters.wrmsr_pkrs_cycles.value).toBe(99);
    expect(doc.context.costProfile.parameters.wrmsr_pkrs_cycles.confidence).toBe("unverified");
    expect(config.strayEvery).toBe(0);
    for (const cell of doc.results) {
      expect(cell.runs[0].metrics["coverage.wild-direct.injected"]).toBe(0);
    }
    for (const word of [
      "--set pks-kmap.fault-mode=strict",
      "--set pmem-dax.requests=20",
      "--set profile.wrmsr_pkrs_cycles=99",
      "--stray-every 0",
    ]) {
      expect(doc.context.reproduce).toContain(word);
    }
  });

  it("gives a different config hash for a different configuration", async () => {
    const a = await pkslab`compare ${ONE_SEED} --format json`;
    const b = await pkslab`compare ${ONE_SEED} --set pmem-dax.requests=20 --format json`;
    expect(JSON.parse(a.stdout).context.configHash).not.toBe(
      JSON.parse(b.stdout).context.configHash,
    );
  });
});

describe("compare: config file", () => {
  it("reads the same fields as the flags; flags override", async () => {
    const config = join(dir, "config.json");
    writeFileSync(
      config,
      JSON.stringify({
        strategies: ["unprotected", "pks-kmap"],
        workloads: "pmem-dax",
        seeds: 1,
        cpus: 2,
        set: { "pmem-dax.requests": 20 },
        format: "json",
      }),
    );
    const run = await pkslab`compare --config ${config} --cpus 4`;
    expect(run.code).toBe(0);
    const doc = validResults(run.stdout, "stdout");
    expect(doc.context.config.machine.cpus).toBe(4);
    expect(doc.context.config.workloads[0].params.requests).toBe(20);
    expect(doc.context.reproduce).toContain("--set pmem-dax.requests=20");
  });

  it("rejects unknown keys with exit 2", async () => {
    const config = join(dir, "bad.json");
    writeFileSync(config, JSON.stringify({ seeds: 2, sedes: 3 }));
    const run = await pkslab`compare --config ${config}`;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("sedes");
  });
});

describe("compare: results, determinism and re-rendering", () => {
  let jsonPath: string;
  let first: string;

  beforeAll(async () => {
    jsonPath = join(dir, "small.json");
    const run = await pkslab`compare ${SMALL_ARGS} --out ${jsonPath}`;
    expect(run.code).toBe(0);
    first = readFileSync(jsonPath, "utf8");
  });

  it("infers json from the --out extension and writes a valid document", () => {
    const doc = validResults(first, jsonPath);
    expect(doc.results).toHaveLength(4);
    expect(nonEmptyEvery(doc.results, (cell) => cell.runs.length === 2)).toBe(true);
  });

  it("is byte-identical on a rerun except context.run", async () => {
    const again = await pkslab`compare ${SMALL_ARGS} --format json`;
    const strip = (text: string) => {
      const doc = JSON.parse(text);
      doc.context.run = null;
      return JSON.stringify(doc, null, 2);
    };
    expect(strip(again.stdout)).toBe(strip(first));
  });

  it("gives the same document on one thread and on worker threads", async () => {
    const strip = (text: string) => {
      const doc = JSON.parse(text);
      doc.context.run = null;
      return JSON.stringify(doc);
    };
    const one = await pkslab`compare ${SMALL_ARGS} --format json --jobs 1`;
    const two = await pkslab`compare ${SMALL_ARGS} --format json --jobs 2`;
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(strip(two.stdout)).toBe(strip(one.stdout));
    expect(strip(one.stdout)).toBe(strip(first));
  });

  it("re-renders every format from the saved JSON exactly as a direct render", async () => {
    const doc = validResults(first, jsonPath);
    for (const format of FORMATS) {
      const run = await pkslab`compare --from ${jsonPath} --format ${format}`;
      expect(run.code, format).toBe(0);
      expect(run.stdout, format).toBe(await renderDocument(doc, format));
      if (format === "json") expect(run.stdout).toBe(first);
    }
  });

  it("shows the metric columns --metrics asks for, and refuses unknown ones early", async () => {
    const run = await pkslab`compare --from ${jsonPath} --metrics events.ipis,coverage.caught`;
    expect(run.code).toBe(0);
    // Event counts are shown per operation, their header wrapping before "/op".
    expect(run.stdout).toMatch(/│ strategy\s+│ cycles\/op │\s+vs base[^│]*│ ipis │ caught │/);
    expect(run.stdout).toMatch(/│\s+│\s+│[^│]*│\s+\/op │\s+│/);
    const bad = await pkslab`compare ${SMALL_ARGS} --metrics events.ipiz`;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Did you mean "events.ipis"');
  });

  it("diffs two saved results without re-running", async () => {
    const other = join(dir, "other.json");
    const run = await pkslab`compare ${SMALL_ARGS} --set profile.wrmsr_pkrs_cycles=200
      --out ${other}`;
    expect(run.code).toBe(0);
    const diff = await pkslab`diff ${jsonPath} ${other}`;
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain("profile.wrmsr_pkrs_cycles");
    expect(diff.stdout).toContain("pks-kmap");
    expect((await pkslab`diff ${jsonPath} ${join(dir, "missing.json")}`).code).toBe(2);
  });
});

describe("list, describe, check-plugin", () => {
  it("lists strategies and workloads, also as JSON", async () => {
    const text = await pkslab`list`;
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("pks-kmap");
    expect(text.stdout).toContain("pmem-dax");
    const json = await pkslab`list --json`;
    const data = JSON.parse(json.stdout);
    expect(data.strategies.map((s: { name: string }) => s.name)).toContain("unprotected");
    expect(data.workloads.map((w: { name: string }) => w.name)).toContain("btrfs-metadata");
  });

  it("describes a strategy and a workload; an unknown name exits 2", async () => {
    expect((await pkslab`describe vmap-alias`).stdout).toContain("vmap-alias");
    expect((await pkslab`describe pmem-dax`).stdout).toContain("pmem-dax");
    const bad = await pkslab`describe pmem-dx`;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Did you mean "pmem-dax"');
  });

  it("checks a strategy plugin file and exits 0 when it conforms", async () => {
    const run = await pkslab`check-plugin
      ${join(import.meta.dirname, "..", "..", "strategies", "unprotected.ts")}`;
    expect(run.stdout).toContain("unprotected");
    expect(run.code).toBe(run.stdout.includes("FAIL") ? 1 : 0);
  });

  it("exits 1 when a plugin fails a conformance check", async () => {
    const run = await pkslab`check-plugin
      ${join(import.meta.dirname, "fixtures", "protects-nothing.ts")}`;
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("FAIL  setup protects the region");
  });

  it("loads a workload plugin with --plugin, in compare, list, describe and check-plugin", async () => {
    const plugin = join(import.meta.dirname, "fixtures", "tiny-workload.ts");
    const run = await pkslab`compare --plugin ${plugin} --workloads tiny-workload
      --strategies unprotected,pks-kmap --seeds 2 --cpus 2 --set tiny-workload.requests=5
      --format json`;
    expect(run.code).toBe(0);
    const doc = validResults(run.stdout, "stdout");
    expect(doc.context.config.workloads[0]).toMatchObject({
      name: "tiny-workload",
      source: plugin,
    });
    expect(doc.context.reproduce).toContain(`--plugin ${plugin}`);
    expect(nonEmptyEvery(doc.results, (cell) => cell.status === "ok")).toBe(true);
    expect((await pkslab`list --plugin ${plugin}`).stdout).toContain("tiny-workload");
    expect((await pkslab`describe tiny-workload --plugin ${plugin}`).code).toBe(0);
    const check = await pkslab`check-plugin ${plugin}`;
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("PASS");
  });

  it("exits 2 when the plugin file does not exist", async () => {
    expect((await pkslab`check-plugin ${join(dir, "nope.ts")}`).code).toBe(2);
  });
});
