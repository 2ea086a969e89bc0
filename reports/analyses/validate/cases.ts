/**
 * The validation registry: published end-to-end and primitive results
 * (../shared/reference/cost-references.md) with the pkslab configuration that reproduces
 * each experiment's shape, the model quantity compared, and a tolerance with its reason;
 * one file per reference family (cases-flush.ts, cases-xpfo.ts, cases-e17.ts), listed here
 * in the order the reports show them.
 *
 * Whether a case is *fitted* or *independent* is not declared here: it is read from the
 * cost profile, whose fitted parameters name the case(s) they were fitted to (`fittedTo`).
 */
import type { ValidationCase } from "./case.ts";
import { e17Cases } from "./cases-e17.ts";
import { e8Cases, flushCases, vmallocCases } from "./cases-flush.ts";
import { xpfoCases } from "./cases-xpfo.ts";

export const VALIDATION_CASES: readonly ValidationCase[] = [
  ...flushCases,
  ...xpfoCases,
  ...e8Cases,
  ...vmallocCases,
  ...e17Cases,
];
