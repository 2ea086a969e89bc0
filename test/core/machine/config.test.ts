/** validateMachineConfig checks every field against its spec in core/machine/params.ts. */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MACHINE,
  type MachineConfig,
  validateMachineConfig,
} from "../../../core/machine/index.ts";
import { MACHINE_PARAMS } from "../../../core/machine/params.ts";

const bad = (patch: Record<string, unknown>) => () =>
  validateMachineConfig({ ...DEFAULT_MACHINE, ...patch } as unknown as MachineConfig);

describe("validateMachineConfig", () => {
  it("accepts the default machine and every spec's bounds", () => {
    expect(() => validateMachineConfig(DEFAULT_MACHINE)).not.toThrow();
    for (const spec of MACHINE_PARAMS) {
      if (spec.kind !== "integer" || spec.name === "lowmemMiB") continue;
      for (const value of [spec.min, spec.max]) {
        const config = { ...DEFAULT_MACHINE, [spec.name]: value };
        if (spec.name === "memoryGiB" && (value ?? 0) > 64) continue;
        expect(() => validateMachineConfig(config as MachineConfig), spec.name).not.toThrow();
      }
    }
  });

  it("refuses each field outside its spec, naming it", () => {
    for (const spec of MACHINE_PARAMS) {
      const wrong =
        spec.kind === "integer" ? (spec.max ?? 0) + 1 : spec.kind === "choice" ? "sideways" : "yes";
      expect(bad({ [spec.name]: wrong }), spec.name).toThrow(`machine.${spec.name}`);
    }
    expect(bad({ cpus: 1.5 })).toThrow("machine.cpus");
    expect(bad({ directMapLeaf: "3m" })).toThrow("4K, 2M, 1G");
  });

  it("keeps the rules between fields on a HIGHMEM machine", () => {
    expect(bad({ arch: "x86-32-highmem", memoryGiB: 128 })).toThrow("machine.memoryGiB");
    expect(bad({ arch: "x86-32-highmem", memoryGiB: 1, lowmemMiB: 1024 })).toThrow(
      "machine.lowmemMiB",
    );
  });
});
