/**
 * The flag schemas (reports/cli/flags.ts): every option of every command goes through one,
 * values come out converted, and a bad value is one UserInputError naming the flag.
 */
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { UserInputError } from "../../core/errors.ts";
import { censusFlagsSchema } from "../../reports/analyses/census/command.ts";
import { claimsFlagsSchema } from "../../reports/analyses/claims/command.ts";
import { replayFlagsSchema } from "../../reports/analyses/replay/command.ts";
import { validateFlagsSchema } from "../../reports/analyses/validate/command.ts";
import {
  catalogFlagsSchema,
  checkPluginFlagsSchema,
  compareFlagsSchema,
  diffFlagsSchema,
  machinesFlagsSchema,
  mergeFlagsSchema,
  parseFlags,
  profileFlagsSchema,
  runFlagsSchema,
  sweepFlagsSchema,
  validateOptionsHook,
} from "../../reports/cli/flags.ts";
import { buildProgram } from "../../reports/cli/main.ts";

const keysOf = (schema: { shape: object } | { in: { shape: object } }) =>
  Object.keys("shape" in schema ? schema.shape : schema.in.shape);

describe("flag schemas", () => {
  it("cover every option of every command", () => {
    const schemas: Record<string, string[]> = {
      compare: keysOf(compareFlagsSchema),
      sweep: keysOf(sweepFlagsSchema),
      merge: keysOf(mergeFlagsSchema),
      list: keysOf(catalogFlagsSchema),
      describe: keysOf(catalogFlagsSchema),
      "check-plugin": keysOf(checkPluginFlagsSchema),
      diff: keysOf(diffFlagsSchema),
      machines: keysOf(machinesFlagsSchema),
      profile: keysOf(profileFlagsSchema),
      census: keysOf(censusFlagsSchema),
      validate: keysOf(validateFlagsSchema),
      claims: keysOf(claimsFlagsSchema),
      replay: keysOf(replayFlagsSchema),
    };
    for (const command of buildProgram().commands) {
      const name = command.name();
      expect(schemas[name], name).toBeDefined();
      for (const option of command.options) {
        expect(schemas[name], `${name} ${option.long}`).toContain(option.attributeName());
      }
    }
  });

  it("convert the run options and leave absent flags absent", () => {
    const flags = parseFlags(compareFlagsSchema, {
      cpus: "4",
      seeds: "2",
      seed: "0",
      strayEvery: "12.5",
      jobs: "1",
      operationBudget: "1000",
      format: "csv",
      set: ["pmem-dax.pages=64"],
    });
    expect(flags).toEqual({
      cpus: 4,
      seeds: 2,
      seed: 0,
      strayEvery: 12.5,
      jobs: 1,
      operationBudget: 1000,
      format: "csv",
      set: ["pmem-dax.pages=64"],
    });
    expect(Object.keys(parseFlags(compareFlagsSchema, {}))).toEqual([]);
  });

  it("name the flag, the value and what was expected", () => {
    const message = (raw: object) => {
      try {
        parseFlags(compareFlagsSchema, raw);
      } catch (error) {
        expect(error).toBeInstanceOf(UserInputError);
        return (error as Error).message;
      }
      throw new Error("accepted");
    };
    expect(message({ cpus: "0" })).toBe('--cpus must be a whole number >= 1, got "0".');
    expect(message({ operationBudget: "2.5" })).toBe(
      '--operation-budget must be a whole number >= 1, got "2.5".',
    );
    expect(message({ strayEvery: "Infinity" })).toBe(
      '--stray-every must be a non-negative number, got "Infinity".',
    );
    expect(message({ format: "jsn" })).toBe(
      '--format: unknown format "jsn". Did you mean "json"? Valid choices: table, markdown, email, csv, json, html, png.',
    );
    expect(message({ set: ["pmem-dax.pages"] })).toMatch(
      /^--set "pmem-dax\.pages" must look like TARGET\.PARAM=VALUE/,
    );
    expect(message({ seeds: true })).toBe("--seeds must be a whole number >= 1, got true.");
  });

  it("the hook of compare and sweep parses the run options and leaves the others alone", async () => {
    let seen: Record<string, unknown> = {};
    const program = new Command().exitOverride();
    program
      .command("run")
      .option("--cpus <n>")
      .option("--seeds <n>")
      .option("--metric <list>")
      .option("--param <p>", "", (value: string, previous: string[] = []) => [...previous, value])
      .hook("preAction", validateOptionsHook(runFlagsSchema))
      .action((flags: Record<string, unknown>) => {
        seen = flags;
      });
    await program.parseAsync(
      ["run", "--cpus", "8", "--metric", "a,,b", "--param", "x=1", "--param", "y=2"],
      { from: "user" },
    );
    expect(seen).toEqual({ cpus: 8, metric: "a,,b", param: ["x=1", "y=2"] });
    await expect(program.parseAsync(["run", "--seeds", "0"], { from: "user" })).rejects.toThrow(
      '--seeds must be a whole number >= 1, got "0".',
    );
  });

  it("sweep and merge: the report format is a choice with a suggestion", async () => {
    expect(() => parseFlags(sweepFlagsSchema, { format: "pgn" })).toThrow(
      /^--format: unknown format "pgn". Did you mean "png"\? Valid choices: table, markdown, email, csv, html, json, png\.$/,
    );
    expect(() => parseFlags(mergeFlagsSchema, { format: "xml" })).toThrow(
      /^--format: unknown format "xml"\. Did you mean "html"\? Valid choices: table, markdown, email, csv, html, json, png\.$/,
    );
    expect(parseFlags(sweepFlagsSchema, { cellTimeout: "2.5", param: ["cpus=1,2"] })).toEqual({
      cellTimeout: 2.5,
      param: ["cpus=1,2"],
    });
  });
});
