/**
 * Validation cases as a runner task (reports/run): the model's values of a group of cases
 * (one case, or the cases of one run group), each on its profile. The default export is
 * what a worker thread calls; runValidation calls the same function in this thread, so a
 * case's value does not depend on where it ran.
 */
import type { CostProfile } from "../../../core/profile.ts";
import { VALIDATION_CASES } from "./cases.ts";

/** One case of a task: its id and the profile it runs on (plain data). */
export interface CaseInput {
  readonly id: string;
  readonly profile: CostProfile;
}

/**
 * Profiles by content, so that the cases a worker runs on one profile share one object and
 * with it the memoized probe runs (model.ts), as they do in one thread.
 */
const profiles = new Map<string, CostProfile>();

/** The model value of case `input.id` on `input.profile`. */
export function measureCase(input: CaseInput): number {
  const item = VALIDATION_CASES.find((c) => c.id === input.id);
  if (!item) throw new Error(`validate: unknown case ${input.id}`);
  const key = JSON.stringify(input.profile);
  let profile = profiles.get(key);
  if (!profile) {
    profile = input.profile;
    profiles.set(key, profile);
  }
  return item.measure(profile);
}

/** The model values of a task's cases, in its order. */
export default function measureCases(cases: readonly CaseInput[]): number[] {
  return cases.map(measureCase);
}
