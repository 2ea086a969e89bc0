import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { UserInputError } from "../../core/errors.ts";
import { optionMetadata, Registry } from "../../core/registry.ts";
import { STRATEGIES } from "../../strategies/registry.ts";
import { WORKLOADS } from "../../workloads/registry.ts";
import { tempDir } from "../helpers/tmp.ts";

interface Thing {
  readonly name: string;
  readonly size: number;
}

/** A registry of a toy kind: a module is `{ name, size }` with a positive size. */
function things(builtins: Thing[]) {
  return new Registry<Thing>(
    {
      noun: "workload",
      folder: "things",
      define: "{ name, size }",
      validate(value, origin) {
        const thing = value as Partial<Thing>;
        if (typeof thing.name !== "string" || !(typeof thing.size === "number" && thing.size > 0))
          throw new UserInputError(`thing ${origin}: needs a name and a positive size`);
        return { name: thing.name, size: thing.size };
      },
    },
    builtins,
  );
}

function thingFile(dir: string, file: string, thing: object): string {
  const path = join(dir, file);
  writeFileSync(path, `export default ${JSON.stringify(thing)};\n`);
  return path;
}

/** The error `run` throws (or fails the test). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("Registry<M>", () => {
  const registry = things([
    { name: "small", size: 1 },
    { name: "large", size: 9 },
  ]);

  it("lists and looks up built-ins; an unknown name is a user error with a suggestion and the choices", () => {
    expect(registry.names).toEqual(["small", "large"]);
    expect(registry.lookup("large").size).toBe(9);
    const error = thrown(() => registry.lookup("smal"));
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as UserInputError).exitCode).toBe(2);
    expect((error as Error).message).toContain('"small"');
    expect((error as Error).message).toContain("large");
  });

  it("loads plugins into the catalog after the built-ins, refusing a taken name and an invalid module", async () => {
    const dir = tempDir("registry");
    const medium = thingFile(dir, "medium.mjs", { name: "medium", size: 4 });
    const catalog = await registry.catalog([medium]);
    expect(catalog.map((entry) => [entry.module.name, entry.source])).toEqual([
      ["small", "built-in"],
      ["large", "built-in"],
      ["medium", resolve(medium)],
    ]);
    // The same file twice is one entry.
    expect(await registry.catalog([medium, medium])).toHaveLength(3);
    const clash = thingFile(dir, "clash.mjs", { name: "large", size: 2 });
    await expect(registry.catalog([clash])).rejects.toBeInstanceOf(UserInputError);
    await expect(registry.catalog([clash])).rejects.toThrow(/things\/large\.ts/);
    const broken = thingFile(dir, "broken.mjs", { name: "broken", size: 0 });
    await expect(registry.load(broken)).rejects.toBeInstanceOf(UserInputError);
    await expect(registry.load(join(dir, "none.mjs"))).rejects.toBeInstanceOf(UserInputError);
  });

  it("selects by name or path in the order asked; unknown and repeated selections are user errors", async () => {
    const dir = tempDir("registry");
    const medium = thingFile(dir, "medium.mjs", { name: "medium", size: 4 });
    const catalog = await registry.catalog();
    const picked = await registry.select(catalog, ["large", medium, "small"]);
    expect(picked.map((entry) => entry.module.name)).toEqual(["large", "medium", "small"]);
    // The path's module joined the catalog, so a later selection finds it by name.
    expect((await registry.select(catalog, ["medium"]))[0].source).toBe(resolve(medium));
    expect(await registry.select(catalog, [])).toBe(catalog);
    await expect(registry.select(catalog, ["larg"])).rejects.toBeInstanceOf(UserInputError);
    await expect(registry.select(catalog, ["small", "small"])).rejects.toBeInstanceOf(
      UserInputError,
    );
  });

  it("is what both plugin kinds use", () => {
    expect(STRATEGIES).toBeInstanceOf(Registry);
    expect(WORKLOADS).toBeInstanceOf(Registry);
    expect(STRATEGIES.names).toContain("pks-kmap");
    expect(STRATEGIES.names).toContain("kmap-as-protection");
    expect(WORKLOADS.names).toContain("pmem-dax");
    expect(() => WORKLOADS.lookup("pmem-dak")).toThrow(UserInputError);
  });

  it("describes options as data: kind from the default, choices and bounds when declared", () => {
    expect(
      optionMetadata({
        depth: { default: 4, unit: "levels", description: "d", min: 1, max: 8 },
        mode: { default: "a", unit: "-", description: "m", choices: ["a", "b"] },
        fast: { default: true, unit: "-", description: "f" },
      }),
    ).toEqual({
      depth: { kind: "number", default: 4, unit: "levels", description: "d", min: 1, max: 8 },
      mode: { kind: "string", default: "a", unit: "-", description: "m", choices: ["a", "b"] },
      fast: { kind: "boolean", default: true, unit: "-", description: "f" },
    });
  });
});

describe("plugin validation of the built-ins", () => {
  it("accepts every built-in strategy and workload as its own kind's plugin would be checked", () => {
    for (const registry of [STRATEGIES, WORKLOADS] as const) {
      for (const module of registry.builtins) {
        expect(() => registry.kind.validate({ ...module }, `${module.name}.ts`)).not.toThrow();
      }
    }
  });
});

describe("module identity fields", () => {
  const strategy = STRATEGIES.builtins[0];
  const workload = WORKLOADS.builtins[0];
  const verdict = (check: () => unknown) => {
    try {
      check();
      return "accepted";
    } catch (error) {
      if (error instanceof UserInputError) return "refused";
      throw error;
    }
  };

  it("are checked alike for strategies and workloads", () => {
    const cases: [string, string | number][] = [
      ["version", "1.2.3-rc.1+build.5"],
      ["version", "1.0.0-"],
      ["version", "1.0.0+"],
      ["version", "1.0"],
      ["version", "v1.0.0"],
      ["name", "my-module"],
      ["name", "My-Module"],
      ["name", "my--module"],
      ["summary", "two\nlines"],
      ["summary", ""],
      ["citation", ""],
    ];
    const verdicts = cases.map(([field, value]) => [
      field,
      value,
      verdict(() => STRATEGIES.kind.validate({ ...strategy, [field]: value }, "s.ts")),
      verdict(() => WORKLOADS.kind.validate({ ...workload, [field]: value }, "w.ts")),
    ]);
    for (const [field, value, asStrategy, asWorkload] of verdicts) {
      expect(asWorkload, `${field} = ${JSON.stringify(value)}`).toBe(asStrategy);
    }
    // Only the well-formed values pass.
    expect(verdicts.filter((row) => row[2] === "accepted").map((row) => row[1])).toEqual([
      "1.2.3-rc.1+build.5",
      "my-module",
    ]);
  });
});
