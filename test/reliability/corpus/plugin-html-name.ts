// A strategy whose name is HTML: refused (names must be kebab-case).
import { defineStrategy } from "../../../strategies/api.ts";

export default defineStrategy({
  name: "<img src=x onerror=alert(1)>",
  version: "0.0.1",
  summary: "Test corpus: HTML in the name.",
  citation: "test/reliability/corpus/plugin-html-name.ts",
  options: {},
  costs: {},
  supports: { local: true, global: false, longTerm: false },
  restoresProtection: false,
  create: () => ({}),
});
