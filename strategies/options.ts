/**
 * Option resolution, now part of the shared contract in core/contract/options.ts; this
 * module re-exports it so existing imports keep working.
 */
export {
  type OptionOwnerKind,
  optionKind,
  optionSchema,
  optionSpecProblems,
  resolveOptions,
} from "../core/contract/options.ts";
