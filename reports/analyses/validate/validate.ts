/**
 * `runValidation`: runs the validation cases against their cost profiles and says, for
 * each, model vs published, the ratio, pass/fail, and whether the case was used to fit a
 * profile parameter (then it is not independent evidence) or is independent.
 */
import { createHash } from "node:crypto";
import { unknownChoiceError } from "../../../core/errors.ts";
import { type CostProfile, loadProfile } from "../../../core/profile.ts";
import { canonicalJson } from "../../results/provenance.ts";
import { runTasks } from "../../run/pool.ts";
import { taskModule } from "../../run/tasks.ts";
import type { ValidationCase } from "./case.ts";
import { VALIDATION_CASES } from "./cases.ts";
import measureCases, { type CaseInput } from "./validate-case.ts";

/**
 * What a case's pass is evidence of:
 * - `validation`: the published value is not an input of the profile and no other case's
 *   numbers are reused: an independent check;
 * - `input check`: the published value is an input of the cost profile (a parameter was
 *   fitted to it, `fittedTo`): agreement shows the fit holds, not that the model predicts;
 * - `repeat`: the case reuses another case's numbers (see ValidationCase.reuses), so its
 *   pass is not an extra independent one.
 */
export type CaseRole = "validation" | "input check" | "repeat";

/** The roles, in report order. */
export const CASE_ROLES: readonly CaseRole[] = ["validation", "input check", "repeat"];

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
  /** Profile parameters fitted to this case (empty unless an input check). */
  readonly fittedParameters: readonly string[];
  /** The cases whose numbers a repeat reuses, and how (empty otherwise). */
  readonly reuses: readonly string[];
  readonly reusesWhat?: string;
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
  /** Cases per role, and of them how many pass. */
  readonly roles: Readonly<Record<CaseRole, { readonly cases: number; readonly passed: number }>>;
  /** Built-in profile names the cases ran on, and the file that replaced each (--profile-file). */
  readonly profiles: readonly {
    readonly name: string;
    readonly file?: string;
    /** sha256 (12 hex digits) of the profile's parameters as loaded. */
    readonly hash: string;
  }[];
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
  /** The files that replace built-in profiles (recorded in the report for its reproduce line). */
  readonly profileFiles?: Readonly<Record<string, string>>;
  /**
   * Threads that run the cases (`--jobs`); 1 when absent: the cases take about a second in
   * all, less than a worker thread takes to start (docs/performance.md).
   */
  readonly jobs?: number;
}

/** The worker-side module of a case (validate-case.ts). */
const CASE_TASK = taskModule(import.meta.url, "validate-case");

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

/**
 * The runner's tasks, as positions in `cases`: the cases of one run group together (their
 * shared runs are then computed once, on one thread), every other case alone. Groups come
 * first: their runs add up to the longest tasks, and a long task claimed last would leave
 * the other threads idle while it finishes.
 */
export function caseTasks(cases: readonly ValidationCase[]): number[][] {
  const groups = new Map<string, number[]>();
  const alone: number[][] = [];
  for (const [index, item] of cases.entries()) {
    if (item.runGroup === undefined) {
      alone.push([index]);
      continue;
    }
    const group = groups.get(item.runGroup);
    if (group) group.push(index);
    else groups.set(item.runGroup, [index]);
  }
  return [...groups.values(), ...alone];
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

/**
 * Runs the cases on the runner (reports/run: `jobs` threads, each case computed on its
 * own, so the report does not depend on `jobs`) and builds the report in case order.
 */
export async function runValidation(options: ValidationOptions = {}): Promise<ValidationReport> {
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
  const tasks = caseTasks(selected).map((group) =>
    group.map((index) => ({ index, item: selected[index] })),
  );
  let casesDone = 0;
  const values = await runTasks(
    tasks.map((group) => {
      const input: CaseInput[] = group.map(({ item }) => ({
        id: item.id,
        profile: profileFor(item.profile),
      }));
      return {
        task: { kind: "module", module: CASE_TASK, input },
        here: () => measureCases(input),
      };
    }),
    {
      jobs: options.jobs ?? 1,
      onDone: (_done, _total, task) => {
        for (const { item } of tasks[task]) {
          options.onCase?.(++casesDone, selected.length, item.id);
        }
      },
    },
  );
  const models: number[] = new Array(selected.length);
  for (const [task, group] of tasks.entries()) {
    for (const [position, { index }] of group.entries()) models[index] = values[task][position];
  }
  const rows: ValidationRow[] = [];
  for (const [index, item] of selected.entries()) {
    const profile = profileFor(item.profile);
    const model = models[index];
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
        fittedParameters.length > 0 || item.inputCheck
          ? "input check"
          : item.reuses
            ? "repeat"
            : "validation",
      fittedParameters,
      reuses: item.reuses?.cases ?? [],
      ...(item.reuses ? { reusesWhat: item.reuses.what } : {}),
      conditions: item.published.conditions,
      citation: item.published.citation,
      configuration: item.configuration,
      metric: item.metric,
      toleranceWhy: item.toleranceWhy,
      ...(item.knownMiss ? { knownMiss: item.knownMiss } : {}),
      ...(item.inputCheck ? { inputCheck: item.inputCheck } : {}),
    });
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
  const roles = Object.fromEntries(
    CASE_ROLES.map((role) => {
      const of = rows.filter((row) => row.role === role);
      return [role, { cases: of.length, passed: of.filter((row) => row.pass).length }];
    }),
  ) as Record<CaseRole, { cases: number; passed: number }>;
  return {
    rows,
    passed,
    failed: rows.length - passed,
    roles,
    profiles: [...profiles.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, profile]) => {
        const file = options.profileFiles?.[name];
        const hash = createHash("sha256")
          .update(canonicalJson(profile.parameters))
          .digest("hex")
          .slice(0, 12);
        return file !== undefined ? { name, file, hash } : { name, hash };
      }),
    knownMisses: rows.filter((row) => !row.pass && row.knownMiss !== undefined).length,
    fits,
  };
}
