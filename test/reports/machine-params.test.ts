import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_MACHINE, Machine, resolveMachineConfig } from "../../core/machine/index.ts";
import { MACHINE_PARAMS, parseMachineParam } from "../../core/machine/params.ts";
import { loadProfile } from "../../core/profile.ts";
import { pkslab } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const ONE_CELL = ["--strategies", "unprotected", "--workloads", "pmem-dax", "--seeds", "1"];

describe("machine parameters on the command line (--set machine.<param>=<value>)", () => {
  it("parses every kind and refuses bad values naming the valid ones", () => {
    expect(parseMachineParam("directMapLeaf", "2M")).toBe("2m");
    expect(parseMachineParam("directMapLeaf", "4k")).toBe("4k");
    expect(parseMachineParam("flush", "serial")).toBe("serial");
    expect(parseMachineParam("cr0wp", "false")).toBe(false);
    expect(parseMachineParam("stlbEntries", "1024")).toBe(1024);
    expect(() => parseMachineParam("directMapLeaf", "3M")).toThrow(/4K, 2M, 1G/);
    expect(() => parseMachineParam("flush", "sideways")).toThrow(/serial, concurrent/);
    expect(() => parseMachineParam("broadcast", "smoke")).toThrow(/ipi, invlpgb/);
    expect(() => parseMachineParam("stlbEntries", "1.5")).toThrow(/whole number/);
    expect(() => parseMachineParam("nosuch", "1")).toThrow(/stlbEntries/);
  });

  it("takes TLB geometry defaults from the profile, and the machine builds the arrays from them", () => {
    for (const name of ["server-2022", "opteron-2008"]) {
      const profile = loadProfile(name);
      const resolved = resolveMachineConfig(DEFAULT_MACHINE, profile);
      expect(resolved.stlbEntries).toBe(profile.parameters.stlb_entries.value);
      expect(resolved.l1dEntries4k).toBe(profile.parameters.l1d_entries_4k.value);
      // An x86-64 machine echoes the fields it always had; HIGHMEM-only ones are left out.
      expect(Object.keys(resolved)).toEqual(
        MACHINE_PARAMS.filter((p) => !p.offDefaultArch).map((p) => p.name),
      );
      const highmem = resolveMachineConfig({ ...DEFAULT_MACHINE, arch: "x86-32-highmem" }, profile);
      expect(Object.keys(highmem)).toEqual(MACHINE_PARAMS.map((p) => p.name));
    }
    const machine = new Machine(
      { ...DEFAULT_MACHINE, cpus: 2, stlbEntries: 64, stlbWays: 4 },
      loadProfile(),
    );
    expect(machine.config.stlbEntries).toBe(64);
  });

  for (const [set, valid] of [
    ["machine.flush=sideways", "serial, concurrent"],
    ["machine.directMapLeaf=3M", "4K, 2M, 1G"],
    ["machine.broadcast=carrier-pigeon", "ipi, invlpgb"],
    ["machine.bogus=1", "directMapLeaf"],
    ["machine.arch=arm64", "x86-64, x86-32-highmem"],
    ["machine.arch=x86-32", "x86-64, x86-32-highmem"],
    ["machine.regionMemory=everywhere", "highmem, lowmem"],
    ["machine.lowmemMiB=512", "x86-32-highmem"],
  ] as const) {
    it(`--set ${set}: exit 2, one error naming the valid values, nothing written`, async () => {
      const out = join(tempDir("machine"), "r.json");
      const run = await pkslab`compare ${ONE_CELL} --set ${set} --out ${out}`;
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(valid);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("echoes the resolved machine in context.config.machine and in the reproducing command", async () => {
    const run = await pkslab`compare ${ONE_CELL} --set machine.flush=serial
      --set machine.directMapLeaf=2M --format json`;
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    const machine = doc.context.config.machine;
    expect(machine.flush).toBe("serial");
    expect(machine.directMapLeaf).toBe("2m");
    expect(machine.broadcast).toBe("ipi");
    expect(machine.stlbEntries).toBe(2048);
    expect(doc.context.reproduce).toContain("--set machine.flush=serial");
    expect(doc.context.reproduce).toContain("--set machine.directMapLeaf=2M");
  });

  it("--cpus and machine.cpus must agree", async () => {
    const run = await pkslab`compare ${ONE_CELL} --cpus 4 --set machine.cpus=8`;
    expect(run.code).toBe(2);
    const same = await pkslab`compare ${ONE_CELL} --set machine.cpus=2 --format json`;
    expect(JSON.parse(same.stdout).context.config.machine.cpus).toBe(2);
    // nrCpus is CONFIG_NR_CPUS, a build constant: it does not change the online CPUs.
    const built = await pkslab`compare ${ONE_CELL} --set machine.nrCpus=512 --format json`;
    const machine = JSON.parse(built.stdout).context.config.machine;
    expect(machine.nrCpus).toBe(512);
    expect(machine.cpus).not.toBe(512);
  });

  it("describe machine lists every parameter with unit, default and source", async () => {
    const run = await pkslab`describe machine --json`;
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.params.map((p: { name: string }) => p.name)).toEqual(
      MACHINE_PARAMS.map((p) => p.name),
    );
    const stlb = doc.params.find((p: { name: string }) => p.name === "stlbEntries");
    expect(stlb.default).toBe(2048);
    expect(stlb.confidence).toBe("unverified");
    const text = await pkslab`describe machine`;
    expect(text.stdout).toContain("flush = concurrent");
    expect(text.stdout).toContain("directMapLeaf = 1G");
  });
});
