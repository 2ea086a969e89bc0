/**
 * Counterfactual strategies: designs that exist to test a claim, not candidates. They are
 * not in the built-in registry (`pkslab list` does not show them); `pkslab claims` runs
 * them beside the built-ins, and set-memory-ro also loads as a plugin
 * (examples/set-memory-ro.ts).
 *
 * @packageDocumentation
 */
import type { StrategyModule } from "../api.ts";
import pageAddress from "./page-address.ts";
import setMemoryRo from "./set-memory-ro.ts";

/** The counterfactual strategies by name, in the order `pkslab claims` lists them. */
export const COUNTERFACTUAL_STRATEGIES: Readonly<Record<string, StrategyModule>> = {
  "set-memory-ro": setMemoryRo,
  "page-address": pageAddress,
};
