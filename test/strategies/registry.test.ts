import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserInputError } from "../../core/errors.ts";
import { checkPlugin } from "../../strategies/conformance/index.ts";
import { resolveOptions } from "../../strategies/options.ts";
import {
  BUILTIN_STRATEGIES,
  BUILTIN_STRATEGY_NAMES,
  describeStrategy,
  loadStrategyPlugin,
  resolveStrategies,
  resolveStrategyOptions,
  strategyCatalog,
  strategyMetadata,
} from "../../strategies/registry.ts";
import { tempDir } from "../helpers/tmp.ts";

let dir: string;

/** Writes a plugin file into the temp directory and returns its path. */
function plugin(file: string, text: string): string {
  const path = join(dir, file);
  writeFileSync(path, text);
  return path;
}

/** A minimal valid plugin, as plain JavaScript data (a user plugin need not import pkslab). */
function pluginSource(name: string, extra = ""): string {
  return `export default {
  name: ${JSON.stringify(name)},
  version: "0.1.0",
  summary: "a test plugin",
  citation: "test",
  options: { depth: { default: 2, unit: "pages", description: "how deep", min: 1, max: 8 } },
  costs: {
    lookup_cycles: { value: 40, unit: "cycles", confidence: "unverified", source: "rule of thumb" },
  },
  supports: { local: true, global: true, longTerm: true },
  restoresProtection: false,
  create() {
    return {
      onMap: ({ pfns }) => ({ kind: "ok", value: { vpns: [...pfns], contiguous: false } }),
    };
  },${extra}
};
`;
}

beforeAll(() => {
  dir = tempDir("plugins");
  mkdirSync(join(dir, "sub"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function loadError(path: string): Promise<string> {
  try {
    await loadStrategyPlugin(path);
  } catch (error) {
    expect(error).toBeInstanceOf(UserInputError);
    return (error as Error).message;
  }
  throw new Error(`${path} loaded without an error`);
}

describe("built-in registry", () => {
  it("holds the five built-ins under their own names", () => {
    expect(BUILTIN_STRATEGY_NAMES).toEqual([
      "unprotected",
      "pks-kmap",
      "vmap-alias",
      "no-direct-map",
      "kmap-local-range",
    ]);
    for (const [name, module] of Object.entries(BUILTIN_STRATEGIES)) expect(module.name).toBe(name);
  });

  it("every built-in cites its source and says what it does, and describe shows both", () => {
    for (const name of BUILTIN_STRATEGY_NAMES) {
      const module = BUILTIN_STRATEGIES[name];
      expect(module.citation.length, name).toBeGreaterThan(40);
      expect(module.summary.length, name).toBeGreaterThan(20);
      const text = describeStrategy(module);
      expect(text, name).toContain(module.citation);
      expect(text, name).toContain(module.summary);
    }
  });

  it("describes a strategy: options with defaults, units and choices; costs; supports; citation", () => {
    const text = describeStrategy(BUILTIN_STRATEGIES["vmap-alias"]);
    expect(text).toMatch(/^vmap-alias 1\.0\.0 \(built-in\)/);
    expect(text).toMatch(/flush = lazy\s+\(one of lazy \| eager\)/);
    expect(text).toMatch(/allocator = global-lock/);
    expect(text).toMatch(/supports: local yes, global yes, long-term yes/);
    expect(text).toMatch(/citation: LWN 894531/);
    expect(text).toMatch(/cost parameters: none/);
  });

  it("labels the mechanisms x86-64 6.1 does not have: the fixmap slots no-direct-map and kmap-local-range assume", () => {
    for (const name of ["no-direct-map", "kmap-local-range"] as const) {
      const meta = strategyMetadata(BUILTIN_STRATEGIES[name]);
      expect(
        meta.proposed.some((line) => /fixmap/.test(line) && /X86_32/.test(line)),
        name,
      ).toBe(true);
      expect(describeStrategy(BUILTIN_STRATEGIES[name])).toMatch(
        /proposed mechanisms \(not in x86-64 Linux 6\.1\):\n\s+- /,
      );
    }
    expect(strategyMetadata(BUILTIN_STRATEGIES.unprotected).proposed).toEqual([]);
    expect(describeStrategy(BUILTIN_STRATEGIES.unprotected)).not.toMatch(/proposed mechanisms/);
  });

  it("describes a numeric option with its bounds, as a workload parameter is described", () => {
    const module = {
      ...BUILTIN_STRATEGIES.unprotected,
      options: {
        depth: { default: 4, unit: "levels", description: "How deep.", min: 1, max: 5 },
        spread: { default: 2, unit: "-", description: "How wide.", min: 0 },
      },
    };
    const text = describeStrategy(module);
    expect(text).toMatch(/depth = 4 levels {2}\(number >= 1, <= 5\)\n {8}How deep\./);
    expect(text).toMatch(/spread = 2 {2}\(number >= 0\)/);
  });

  it("gives JSON-able metadata for list --json", () => {
    const meta = strategyMetadata(BUILTIN_STRATEGIES["pks-kmap"]);
    const round = JSON.parse(JSON.stringify(meta));
    expect(round).toEqual(meta);
    expect(meta.options["fault-mode"]).toMatchObject({
      kind: "string",
      default: "relaxed",
      choices: ["relaxed", "strict"],
    });
    expect(meta.supports).toEqual({ local: true, global: false, longTerm: false });
  });

  it("resolves names in order, the whole catalog when none are given, and suggests near misses", async () => {
    const picked = await resolveStrategies(["vmap-alias", "unprotected"]);
    expect(picked.map((entry) => entry.module.name)).toEqual(["vmap-alias", "unprotected"]);
    expect((await resolveStrategies([])).length).toBe(5);
    await expect(resolveStrategies(["pks-kamp"])).rejects.toThrow(
      /unknown strategy "pks-kamp"\. Did you mean "pks-kmap"\? Valid choices: unprotected, pks-kmap/,
    );
    await expect(resolveStrategies(["pks-kmap", "pks-kmap"])).rejects.toThrow(/selected twice/);
  });
});

describe("strategy options", () => {
  it("fills defaults and converts command-line text", () => {
    expect(resolveStrategyOptions(BUILTIN_STRATEGIES["pks-kmap"])).toEqual({
      "fault-mode": "relaxed",
      "pkrs-cache": true,
    });
    expect(
      resolveStrategyOptions(BUILTIN_STRATEGIES["pks-kmap"], { "pkrs-cache": "false" }),
    ).toMatchObject({ "pkrs-cache": false });
  });

  it("refuses an unknown key, naming the strategy, the key and the valid ones", () => {
    expect(() =>
      resolveStrategyOptions(BUILTIN_STRATEGIES["vmap-alias"], { flsuh: "eager" }),
    ).toThrow(
      /unknown option of strategy vmap-alias "flsuh"\. Did you mean "flush"\? Valid choices: flush, allocator/,
    );
    expect(() => resolveStrategyOptions(BUILTIN_STRATEGIES.unprotected, { x: 1 })).toThrow(
      /strategy unprotected has no options/,
    );
  });

  it("refuses a value outside the choices, of the wrong type, or out of range", () => {
    expect(() =>
      resolveStrategyOptions(BUILTIN_STRATEGIES["vmap-alias"], { flush: "eagre" }),
    ).toThrow(/Did you mean "eager"\?/);
    expect(() =>
      resolveStrategyOptions(BUILTIN_STRATEGIES["pks-kmap"], { "pkrs-cache": "maybe" }),
    ).toThrow(/option "pkrs-cache" must be true or false; got "maybe"/);
    const specs = { depth: { default: 2, unit: "pages", description: "d", min: 1, max: 8 } };
    expect(() => resolveOptions("workload", "w", specs, { depth: 9 })).toThrow(
      /workload w: option "depth" is out of range: 9; it must be a number from 1 to 8 \(pages\)/,
    );
    expect(() => resolveOptions("workload", "w", specs, { depth: "deep" })).toThrow(
      /must be a number from 1 to 8/,
    );
  });
});

describe("plugin loading", () => {
  it("loads a JavaScript plugin and a TypeScript plugin", async () => {
    const js = await loadStrategyPlugin(plugin("good.mjs", pluginSource("good-js")));
    expect(js.name).toBe("good-js");
    const ts = await loadStrategyPlugin(
      plugin(
        "good.ts",
        `const depth: number = 2;\n${pluginSource("good-ts").replace("default: 2", "default: depth")}`,
      ),
    );
    expect(ts.name).toBe("good-ts");
    expect(checkPlugin(ts).passed).toBe(true);
  });

  it("loads the example plugin, which passes check-plugin", async () => {
    const example = await loadStrategyPlugin("examples/set-memory-ro.ts");
    expect(example.name).toBe("set-memory-ro");
    expect(checkPlugin(example).passed).toBe(true);
  });

  it("names the file and the problem: missing file, wrong type, syntax error, no default export", async () => {
    expect(await loadError(join(dir, "absent.ts"))).toMatch(/absent\.ts: file not found/);
    expect(await loadError(plugin("notes.txt", "hello"))).toMatch(
      /notes\.txt: unsupported file type "\.txt"/,
    );
    expect(await loadError(plugin("broken.mjs", "export default {{ nope"))).toMatch(
      /broken\.mjs: cannot be loaded as a module/,
    );
    expect(await loadError(plugin("named.mjs", "export const strategy = {};"))).toMatch(
      /named\.mjs: has no default export/,
    );
  });

  it("names missing or malformed fields", async () => {
    const noCreate = pluginSource("no-create").replace(/ {2}create\(\) \{[\s\S]*?\n {2}\},/, "");
    expect(await loadError(plugin("no-create.mjs", noCreate))).toMatch(
      /no-create\.mjs: create: must be a function/,
    );
    expect(await loadError(plugin("bad-name.mjs", pluginSource("Bad_Name")))).toMatch(
      /bad-name\.mjs: name: must be kebab-case/,
    );
    const noCitation = pluginSource("no-citation").replace('citation: "test",', "");
    expect(await loadError(plugin("no-citation.mjs", noCitation))).toMatch(
      /no-citation\.mjs: citation: /,
    );
    const badDefault = pluginSource("bad-default").replace("default: 2", "default: 20");
    expect(await loadError(plugin("bad-default.mjs", badDefault))).toMatch(
      /bad-default\.mjs: option "depth": default 20 is outside its own bounds/,
    );
    const typo = pluginSource("typo", "\n  option: {},");
    expect(await loadError(plugin("typo.mjs", typo))).toMatch(/typo\.mjs: .*option/);
    const badCost = pluginSource("bad-cost").replace(
      'confidence: "unverified"',
      'confidence: "trust me"',
    );
    expect(await loadError(plugin("bad-cost.mjs", badCost))).toMatch(
      /bad-cost\.mjs: costs\.lookup_cycles\.confidence/,
    );
  });

  it("refuses a duplicate name, naming both sources", async () => {
    const clash = plugin("clash.mjs", pluginSource("pks-kmap"));
    await expect(strategyCatalog([clash])).rejects.toThrow(
      /duplicate strategy name "pks-kmap": defined by the built-in strategies\/pks-kmap\.ts and by plugin .*clash\.mjs/,
    );
    const a = plugin("twin-a.mjs", pluginSource("twin"));
    const b = plugin(join("sub", "twin-b.mjs"), pluginSource("twin"));
    await expect(strategyCatalog([a, b])).rejects.toThrow(
      /duplicate strategy name "twin": defined by plugin .*twin-a\.mjs and by plugin .*twin-b\.mjs/,
    );
  });

  it("resolves plugins by name or by path, relative paths included", async () => {
    const path = plugin("by-path.mjs", pluginSource("by-path"));
    const byName = await resolveStrategies(["by-path", "unprotected"], [path]);
    expect(byName.map((entry) => entry.module.name)).toEqual(["by-path", "unprotected"]);
    expect(byName[0].source).toBe(resolve(path));
    const byPath = await resolveStrategies([relative(process.cwd(), path)]);
    expect(byPath[0].module.name).toBe("by-path");
    // The same file given as --plugin and as a path is one strategy, not a duplicate.
    expect((await resolveStrategies([path], [path])).length).toBe(1);
  });

  it("validates a plugin's options like a built-in's", async () => {
    const module = await loadStrategyPlugin(plugin("opts.mjs", pluginSource("opts")));
    expect(resolveStrategyOptions(module, { depth: "4" })).toEqual({ depth: 4 });
    expect(() => resolveStrategyOptions(module, { dept: 4 })).toThrow(
      /unknown option of strategy opts "dept"\. Did you mean "depth"\?/,
    );
  });
});
