/**
 * The option-spec part of the plugin API: what a strategy's `options` and a workload's
 * `params` are written with. strategies/api.ts and workloads/api.ts re-export it whole, so
 * both plugin kinds see one list.
 *
 * @packageDocumentation
 */
export {
  defineOptions,
  type OptionKind,
  type OptionSpec,
  type OptionSpecs,
  type OptionValue,
  type OptionValues,
  type OptionValuesOf,
} from "./options.ts";
