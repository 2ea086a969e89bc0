/**
 * `runValidation`: runs the validation cases against their cost profiles and says, for
 * each, model vs published, the ratio, pass/fail, and whether the case was used to fit a
 * profile parameter (then it is not independent evidence) or is independent.
 */
import { unknownChoiceError } from "../../core/errors.ts";
import { type CostProfile, loadProfile } from "../../core/profile.ts";
import { VALIDATION_CASES, type ValidationCase } from "./cases.ts";

export type CaseRole = "fitted" | "independent" | "input check";

export interface ValidationRow {
  readonly id: string;
  readonly title: string;
  readonly reference: string;
  readonly profile: string;
  readonly published: number;
  readonly model: number;
  readonly unit: string;
  /** model / published. */
  readonly ratio: number;
  readonly tolerance: number;
  readonly pass: boolean;
  readonly role: CaseRole;
  /** Profile parameters fitted to this case (empty when independent). */
  readonly fittedParameters: readonly string[];
  readonly conditions: string;
  readonly citation: string;
  readonly configuration: string;
  readonly metric: string;
  readonly toleranceWhy: string;
  /** Why the model is known to miss this case (it then does not fail the command). */
  readonly knownMiss?: string;
  /** Why the case checks inputs rather than predicting (role "input check"). */
  readonly inputCheck?: string;
}

export interface ValidationReport {
  readonly rows: readonly ValidationRow[];
  readonly passed: number;
  readonly failed: number;
  readonly fitted: number;
  readonly independent: number;
  readonly inputChecks: number;
  /** Failed cases marked as known misses (they do not make the command exit 1). */
  readonly knownMisses: number;
  /** Every fitted parameter: profile, name, value, unit and the case(s) it was fitted to. */
  readonly fits: readonly {
    profile: string;
    parameter: string;
    value: number;
    unit: string;
    cases: string[];
  }[];
}

export interface ValidationOptions {
  /** Case ids to run (default: all). */
  readonly cases?: readonly string[];
  /**
   * Profile for a case's built-in profile name (default: loadProfile). Tests use it to run
   * the cases on a deliberately broken profile.
   */
  readonly profileFor?: (name: string) => CostProfile;
  /** Called after each case, for progress. */
  readonly onCase?: (done: number, total: number, id: string) => void;
}

/** The case ids a `fittedTo` field names (comma or plus separated). */
export function fittedCases(fittedTo: string | undefined): string[] {
  if (!fittedTo) return [];
  return fittedTo
    .split(/[,+\s]+/)
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
}

/** Parameters of `profile` fitted to case `id`. */
export function parametersFittedTo(profile: CostProfile, id: string): string[] {
  return Object.entries(profile.parameters)
    .filter(([, parameter]) => fittedCases(parameter.fittedTo).includes(id))
    .map(([name]) => name)
    .sort();
}

export function selectCases(ids?: readonly string[]): ValidationCase[] {
  if (!ids || ids.length === 0) return [...VALIDATION_CASES];
  const known = VALIDATION_CASES.map((c) => c.id);
  return ids.map((id) => {
    const found = VALIDATION_CASES.find((c) => c.id === id);
    if (!found) throw unknownChoiceError("validation case", id, known);
    return found;
  });
}

export function runValidation(options: ValidationOptions = {}): ValidationReport {
  const selected = selectCases(options.cases);
  const profiles = new Map<string, CostProfile>();
  const profileFor = (name: string) => {
    let profile = profiles.get(name);
    if (!profile) {
      profile = options.profileFor ? options.profileFor(name) : loadProfile(name);
      profiles.set(name, profile);
    }
    return profile;
  };
  const rows: ValidationRow[] = [];
  for (const item of selected) {
    const profile = profileFor(item.profile);
    const model = item.measure(profile);
    const ratio = model / item.published.value;
    const fittedParameters = parametersFittedTo(profile, item.id);
    rows.push({
      id: item.id,
      title: item.title,
      reference: item.published.reference,
      profile: item.profile,
      published: item.published.value,
      model,
      unit: item.published.unit,
      ratio,
      tolerance: item.tolerance,
      pass: Number.isFinite(ratio) && Math.abs(ratio - 1) <= item.tolerance,
      role:
        fittedParameters.length > 0 ? "fitted" : item.inputCheck ? "input check" : "independent",
      fittedParameters,
      conditions: item.published.conditions,
      citation: item.published.citation,
      configuration: item.configuration,
      metric: item.metric,
      toleranceWhy: item.toleranceWhy,
      ...(item.knownMiss ? { knownMiss: item.knownMiss } : {}),
      ...(item.inputCheck ? { inputCheck: item.inputCheck } : {}),
    });
    options.onCase?.(rows.length, selected.length, item.id);
  }
  const fits: ValidationReport["fits"][number][] = [];
  for (const [name, profile] of [...profiles.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [parameter, value] of Object.entries(profile.parameters)) {
      const cases = fittedCases(value.fittedTo);
      if (cases.length > 0) {
        fits.push({ profile: name, parameter, value: value.value, unit: value.unit, cases });
      }
    }
  }
  const passed = rows.filter((row) => row.pass).length;
  const fitted = rows.filter((row) => row.role === "fitted").length;
  return {
    rows,
    passed,
    failed: rows.length - passed,
    fitted,
    independent: rows.filter((row) => row.role === "independent").length,
    inputChecks: rows.filter((row) => row.role === "input check").length,
    knownMisses: rows.filter((row) => !row.pass && row.knownMiss !== undefined).length,
    fits,
  };
}
