import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadStrategyPlugin } from "../../strategies/registry.ts";
import { tempFile } from "../helpers/tmp.ts";

const API = resolve(import.meta.dirname, "..", "..", "strategies", "api.ts");

describe("a TypeScript plugin outside any ES-module package", () => {
  it("loads (tsx compiles it as CommonJS; its default export is unwrapped)", async () => {
    const file = tempFile(
      "plugin",
      "mine.ts",
      `import { defineStrategy } from ${JSON.stringify(API)};
export default defineStrategy({
  name: "outside-plugin", version: "0.1.0", summary: "test", citation: "none",
  options: {}, costs: {}, supports: { local: true, global: true, longTerm: true },
  restoresProtection: false,
  create: () => ({}),
});
`,
    );
    const loaded = await loadStrategyPlugin(file);
    expect(loaded.name).toBe("outside-plugin");
  });
});
