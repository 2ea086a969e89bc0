/**
 * set-memory-ro as a plugin file: `--plugin examples/set-memory-ro.ts` loads the strategy
 * walked through in docs/writing-a-strategy.md. Its code lives in
 * strategies/counterfactual/set-memory-ro.ts, because `pkslab claims` compares with it
 * (claim 7) and the product does not import examples.
 */
export { default } from "../strategies/counterfactual/set-memory-ro.ts";
