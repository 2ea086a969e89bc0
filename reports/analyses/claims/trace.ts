/**
 * Which profile parameters a run depends on. A profile parameter's value enters a run in
 * two ways only: through the ledger (registered once per ledger, then read by `charge` and
 * `value`, muted charges included: they still move the clocks) and by code that reads the
 * parameter's `value` (machine geometry, flush ceilings, invariants). A traced run hands
 * the model parameter objects whose `value` is a getter that records the read, and
 * wraps the ledger's `charge` and `value` to record the parameters they use; the ledger's
 * own registration read is not a use. A parameter neither charged nor read cannot change
 * the run: with another value, every branch, charge and clock is the same, and its zero
 * charged cycles weigh nothing in the metrics, whatever its confidence says. The run
 * cache (run-cache.ts) uses this to share a base cell with the variants that only move
 * parameters the cell never used; test/claims/run-cache.test.ts checks it against re-runs.
 * Built-in code only: a plugin may read the ledger's arrays directly, so its cells always run.
 */

import { Ledger } from "../../../core/ledger.ts";
import type { CostParameter, CostProfile } from "../../../core/profile.ts";

/** Runs `run` with a traced copy of the profile; returns its result and the parameters used. */
export function traceParameters<T>(
  profile: CostProfile,
  run: (traced: CostProfile) => T,
): { result: T; used: Set<string> } {
  const used = new Set<string>();
  const owner = `profile:${profile.name}`;
  let registering = 0;
  const parameters: Record<string, CostParameter> = {};
  for (const [name, parameter] of Object.entries(profile.parameters)) {
    const traced = { ...parameter };
    Object.defineProperty(traced, "value", {
      enumerable: true,
      get() {
        if (registering === 0) used.add(name);
        return parameter.value;
      },
    });
    parameters[name] = traced;
  }
  const proto = Ledger.prototype;
  const { charge, value, registerParameter } = proto;
  const note = (ledger: Ledger, id: number) => {
    const source = ledger.parameters[id];
    if (source?.owner === owner) used.add(source.name);
  };
  proto.charge = function (this: Ledger, cpu, category, param, count) {
    note(this, param);
    charge.call(this, cpu, category, param, count);
  };
  proto.value = function (this: Ledger, id) {
    note(this, id);
    return value.call(this, id);
  };
  proto.registerParameter = function (this: Ledger, name, from, parameter) {
    registering++;
    try {
      return registerParameter.call(this, name, from, parameter);
    } finally {
      registering--;
    }
  };
  try {
    return { result: run({ ...profile, parameters }), used };
  } finally {
    proto.charge = charge;
    proto.value = value;
    proto.registerParameter = registerParameter;
  }
}

/** A profile without its parameters, as JSON, per (immutable) profile object. */
const restJson = new WeakMap<CostProfile, string>();

function profileRestJson(profile: CostProfile): string {
  let json = restJson.get(profile);
  if (json === undefined) {
    const { parameters: _, ...rest } = profile;
    json = JSON.stringify(rest);
    restJson.set(profile, json);
  }
  return json;
}

/**
 * The profile parameters whose entries differ between two profiles of the same name and
 * parameter names; undefined when the profiles differ otherwise (then nothing is shared).
 * Asked for every cell claims plans, so entries an override kept (the same object) and
 * the rest of a profile already seen are not serialized again.
 */
export function changedParameters(base: CostProfile, other: CostProfile): string[] | undefined {
  if (base.name !== other.name) return undefined;
  const names = Object.keys(base.parameters);
  const otherNames = Object.keys(other.parameters);
  if (names.length !== otherNames.length || otherNames.some((n) => !(n in base.parameters))) {
    return undefined;
  }
  if (base !== other && profileRestJson(base) !== profileRestJson(other)) return undefined;
  return names.filter((name) => {
    const entry = base.parameters[name];
    const otherEntry = other.parameters[name];
    return entry !== otherEntry && JSON.stringify(entry) !== JSON.stringify(otherEntry);
  });
}
