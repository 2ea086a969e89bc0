/**
 * The import direction of the tree (docs/architecture.md): the contracts sit at the bottom
 * in core/contract, so the model never imports the plugin folders; strategies and
 * workloads are independent of each other and of the reports; the analyses do not import
 * the CLI, and the runner (reports/run) imports neither; nothing in the product imports an
 * example; reports/ has no import cycle.
 */
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../core/package-root.ts";
import {
  forbiddenImports,
  type ImportRule,
  importCycles,
  importEdges,
  importSpecifiers,
  readSources,
} from "./import-graph.ts";

const RULES: readonly ImportRule[] = [
  {
    name: "core imports nothing above it",
    from: /^core\//,
    to: /^(strategies|workloads|reports|examples)\//,
  },
  {
    name: "strategies import neither workloads nor reports",
    from: /^strategies\//,
    to: /^(workloads|reports)\//,
  },
  {
    name: "workloads import neither strategies nor reports",
    from: /^workloads\//,
    to: /^(strategies|reports)\//,
  },
  {
    name: "analyses never import the CLI",
    from: /^reports\/analyses\//,
    to: /^reports\/(cli|commands)\//,
  },
  {
    name: "the commands never import the CLI",
    from: /^reports\/commands\//,
    to: /^reports\/cli\//,
  },
  {
    name: "the runner imports neither the CLI nor an analysis",
    from: /^reports\/run\//,
    to: /^reports\/(cli|commands|analyses)\//,
  },
  {
    name: "the renderers run nothing",
    from: /^reports\/render\//,
    to: /^reports\/(cli|commands|analyses|run)\//,
  },
  {
    name: "the result document imports only core",
    from: /^reports\/results\//,
    to: /^(strategies|workloads|reports\/(cli|commands|analyses|run|render))\//,
  },
  {
    name: "the product never imports an example",
    from: /^(core|strategies|workloads|reports)\//,
    to: /^examples\//,
  },
];

const SOURCE_DIRS = ["core", "strategies", "workloads", "reports", "examples"];

describe("import direction", () => {
  const files = readSources(PACKAGE_ROOT, SOURCE_DIRS);
  const edges = importEdges(files);

  it("reads the real graph: every source, and edges the tree is known to have", () => {
    expect(files.has("core/engine/index.ts")).toBe(true);
    expect(files.has("reports/run/cell-worker.mjs")).toBe(true);
    const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to);
    // A value import, a multi-line type import, a re-export, each resolved from its folder.
    expect(has("core/engine/strays.ts", "core/contract/stray.ts")).toBe(true);
    expect(has("core/engine/state.ts", "core/contract/strategy.ts")).toBe(true);
    expect(has("strategies/api.ts", "core/contract/strategy.ts")).toBe(true);
    expect(has("examples/set-memory-ro.ts", "strategies/counterfactual/set-memory-ro.ts")).toBe(
      true,
    );
    expect(has("reports/analyses/claims/plan.ts", "strategies/counterfactual/index.ts")).toBe(true);
    // Every edge inside the tree names a file that exists.
    const dangling = edges
      .filter((e) => SOURCE_DIRS.some((dir) => e.to.startsWith(`${dir}/`)))
      .filter((e) => !files.has(e.to) && !e.to.endsWith(".json"))
      .map((e) => `${e.from} -> ${e.to}`);
    expect(dangling).toEqual([]);
  });

  it("has no forbidden import", () => {
    expect(forbiddenImports(files, RULES)).toEqual([]);
  });

  it("fails when a forbidden import is added, in every form an import can take", () => {
    const forms = [
      'import type { Operation } from "../workloads/api.ts";',
      'import { STRAY_CLASSES } from "../workloads/api.ts";',
      'import {\n  type Operation,\n  STRAY_CLASSES,\n} from "../workloads/api.ts";',
      'export { defineWorkload } from "../workloads/api.ts";',
      'export * from "../workloads/api.ts";',
      'export type { Operation } from "../workloads/api.ts";',
      'import "../workloads/api.ts";',
      'const api = await import("../workloads/api.ts");',
    ];
    for (const form of forms) {
      const synthetic = new Map(files);
      synthetic.set("core/compare.ts", `${form}\n${files.get("core/compare.ts")}`);
      expect(forbiddenImports(synthetic, RULES), form).toEqual([
        "core/compare.ts -> workloads/api.ts (core imports nothing above it)",
      ]);
    }
  });

  it("fails on each rule, for a file added anywhere in a folder", () => {
    const added: [string, string, string][] = [
      ["core/contract/new.ts", "../../strategies/registry.ts", "core imports nothing above it"],
      [
        "strategies/new.ts",
        "../workloads/params.ts",
        "strategies import neither workloads nor reports",
      ],
      [
        "strategies/counterfactual/new.ts",
        "../../reports/results/results.ts",
        "strategies import neither workloads nor reports",
      ],
      [
        "workloads/new.ts",
        "../strategies/options.ts",
        "workloads import neither strategies nor reports",
      ],
      ["reports/analyses/validate/new.ts", "../../cli/flags.ts", "analyses never import the CLI"],
      ["reports/analyses/claims/new.ts", "../../cli/commands.ts", "analyses never import the CLI"],
      [
        "reports/analyses/census/new.ts",
        "../../commands/output.ts",
        "analyses never import the CLI",
      ],
      ["reports/commands/new.ts", "../cli/flags.ts", "the commands never import the CLI"],
      [
        "reports/run/new.ts",
        "../commands/compare.ts",
        "the runner imports neither the CLI nor an analysis",
      ],
      ["reports/render/new.ts", "../run/plan.ts", "the renderers run nothing"],
      ["reports/render/new.ts", "../analyses/claims/claims.ts", "the renderers run nothing"],
      ["reports/results/new.ts", "../render/model.ts", "the result document imports only core"],
      [
        "reports/results/new.ts",
        "../../strategies/registry.ts",
        "the result document imports only core",
      ],
      [
        "reports/run/new.ts",
        "../analyses/claims/evaluate.ts",
        "the runner imports neither the CLI nor an analysis",
      ],
      [
        "reports/analyses/claims/new.ts",
        "../../../examples/set-memory-ro.ts",
        "the product never imports an example",
      ],
    ];
    for (const [path, specifier, rule] of added) {
      const synthetic = new Map(files);
      synthetic.set(path, `import x from "${specifier}";\n`);
      const found = forbiddenImports(synthetic, RULES);
      expect(
        found.some((line) => line.startsWith(`${path} -> `) && line.endsWith(`(${rule})`)),
        path,
      ).toBe(true);
    }
  });

  it("allows the arrows that point down, and ignores imports named in comments and packages", () => {
    const allowed = new Map([
      ["strategies/x.ts", 'import { Machine } from "../core/machine/index.ts";'],
      ["reports/cli/x.ts", 'import { runCensus } from "../analyses/census/command.ts";'],
      ["reports/commands/x.ts", 'import { sensitivity } from "../analyses/claims/sensitivity.ts";'],
      ["reports/render/x.ts", 'import { loadResults } from "../results/results.ts";'],
      ["examples/x.ts", 'import { defineStrategy } from "../strategies/api.ts";'],
      [
        "core/x.ts",
        '// import { a } from "../reports/results/results.ts";\n/* import "../strategies/api.ts"; */',
      ],
      ["workloads/x.ts", 'import { z } from "zod";'],
    ]);
    expect(forbiddenImports(allowed, RULES)).toEqual([]);
    expect(importSpecifiers(allowed.get("core/x.ts") ?? "")).toEqual([]);
  });

  it("has no import cycle in reports/", () => {
    expect(importCycles(files, /^reports\//)).toEqual([]);
  });

  it("fails on an import cycle, naming its files in order, type-only imports included", () => {
    const cycles: [string, string, string][] = [
      // The cycle the CLI had: the limits config.ts needs came from the runner.
      [
        "reports/run/limits.ts",
        'import type { ResolvedComparison } from "./plan.ts";',
        "reports/run/config.ts -> reports/run/limits.ts -> reports/run/plan.ts -> reports/run/config.ts",
      ],
      // The verdict reading the document's builder instead of its schema.
      [
        "reports/results/verdict.ts",
        'import { buildResults } from "./results.ts";',
        "reports/results/results.ts -> reports/results/verdict.ts -> reports/results/results.ts",
      ],
      [
        "reports/results/stats.ts",
        'export * from "./stats.ts";',
        "reports/results/stats.ts -> reports/results/stats.ts",
      ],
    ];
    for (const [path, line, cycle] of cycles) {
      const synthetic = new Map(files);
      synthetic.set(path, `${line}\n${files.get(path)}`);
      expect(importCycles(synthetic, /^reports\//), path).toEqual([cycle]);
    }
    // A cycle outside the scope is not this check's.
    const outside = new Map(files);
    outside.set("core/rng.ts", `import "./errors.ts";\n${files.get("core/rng.ts")}`);
    outside.set("core/errors.ts", `import "./rng.ts";\n${files.get("core/errors.ts")}`);
    expect(importCycles(outside, /^reports\//)).toEqual([]);
    expect(importCycles(outside, /^core\//)).toEqual([
      "core/errors.ts -> core/rng.ts -> core/errors.ts",
    ]);
  });
});
