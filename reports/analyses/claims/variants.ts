/** The variants of the robustness sweep: every unverified or derived cost (profile parameters and strategy costs with a range) at each end of its range, one at a time and jointly. */

import type { CostProfile } from "../../../core/profile.ts";
import type { StrategyModule } from "../../../strategies/api.ts";
import type { ProfileVariant } from "./plan.ts";

/** Parameters that change no charged cycle (unit conversion only) are not swept. */
const NOT_SWEPT = new Set(["clock_ghz"]);

const sweepable = (p: { confidence: string; range?: readonly [number, number] }) =>
  (p.confidence === "unverified" || p.confidence === "derived") && p.range !== undefined;

/** Parameters the sweep varies: unverified or derived, with a documented range. */
export function sweptParameters(profile: CostProfile): string[] {
  return Object.entries(profile.parameters)
    .filter(([name, p]) => sweepable(p) && !NOT_SWEPT.has(name))
    .map(([name]) => name);
}

/** Strategy-declared cost parameters the sweep varies, as "strategy.cost". */
export function sweptStrategyCosts(strategies: readonly StrategyModule[]): string[] {
  return strategies.flatMap((module) =>
    Object.entries(module.costs)
      .filter(([, cost]) => sweepable(cost))
      .map(([name]) => `${module.name}.${name}`),
  );
}

/**
 * One at a time to each end of the range (profile parameters, then the cost parameters the
 * given strategies declare), then all low and all high together.
 */
export function sweepVariants(
  profile: CostProfile,
  strategies: readonly StrategyModule[] = [],
): ProfileVariant[] {
  const names = sweptParameters(profile);
  const variants: ProfileVariant[] = [];
  for (const name of names) {
    const [low, high] = profile.parameters[name].range!;
    const value = profile.parameters[name].value;
    if (low !== value) variants.push({ label: `${name}=${low}`, changes: { [name]: low } });
    if (high !== value) variants.push({ label: `${name}=${high}`, changes: { [name]: high } });
  }
  const costs = strategies.flatMap((module) =>
    Object.entries(module.costs)
      .filter(([, cost]) => sweepable(cost))
      .map(([name, cost]) => ({ strategy: module.name, name, cost })),
  );
  for (const { strategy, name, cost } of costs) {
    for (const end of cost.range!) {
      if (end === cost.value) continue;
      variants.push({
        label: `${strategy}.${name}=${end}`,
        changes: {},
        strategyCosts: { [strategy]: { [name]: end } },
      });
    }
  }
  const corner = (end: 0 | 1): ProfileVariant => {
    const strategyCosts: Record<string, Record<string, number>> = {};
    for (const { strategy, name, cost } of costs) {
      strategyCosts[strategy] = { ...strategyCosts[strategy], [name]: cost.range![end] };
    }
    return {
      label: `all ${end === 0 ? "low" : "high"} (joint corner)`,
      changes: Object.fromEntries(
        names.map((name) => [name, profile.parameters[name].range![end]]),
      ),
      ...(costs.length > 0 ? { strategyCosts } : {}),
    };
  };
  variants.push(corner(0), corner(1));
  return variants;
}
