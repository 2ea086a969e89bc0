/** The JSON report: the result document itself (reports/results/schema/results.schema.json). */
import type { ResultDocument } from "../results/results.ts";
import type { Renderer } from "./common.ts";

/** The `json` format. */
export const jsonRenderer: Renderer = {
  format: "json",
  extension: "json",
  description: "the versioned result document (input of --from and diff)",
  render: (doc: ResultDocument) => `${JSON.stringify(doc, null, 2)}\n`,
};
