/**
 * The strategy context a run hands to a strategy's `create`, built in one place for every
 * caller of `create` (the engine, the conformance kit of strategies/conformance/), so that
 * the context `check-plugin` checks a plugin with is the one a comparison gives it.
 *
 * @packageDocumentation
 */

import type { OptionValues } from "../contract/options.ts";
import type { ProtectedRegion, StrategyContext, StrategyModule } from "../contract/strategy.ts";
import { Vmalloc, type VmallocOptions } from "../kernel/vmalloc.ts";
import { Cat } from "../ledger.ts";
import type { Machine } from "../machine/index.ts";

/**
 * A charge the contract forbids, which the context does not make: of a cost parameter the
 * strategy did not declare in `costs` (`undeclared`), or a count that is not a finite
 * number of at least 0.
 */
export interface RefusedCharge {
  readonly parameter: string;
  readonly count: number;
  readonly undeclared: boolean;
}

/**
 * The context of one run of `module` on `machine`: the region, the options (already
 * resolved, see `resolveStrategyOptions`), one vmalloc allocator created on first use, and
 * `charge`, which charges the module's declared cost parameters. Those are registered in
 * the machine's ledger here, with their provenance, under the owner `strategy:<name>`.
 * A forbidden charge goes to `refuse` (the engine throws; the conformance kit records a
 * violation and goes on).
 */
export function createStrategyContext<V extends OptionValues>(
  machine: Machine,
  region: ProtectedRegion,
  module: StrategyModule,
  options: V,
  refuse: (charge: RefusedCharge) => void,
): StrategyContext<V> {
  const ledger = machine.ledger;
  const costIds = new Map<string, number>();
  for (const [name, cost] of Object.entries(module.costs)) {
    const id = ledger.registerParameter(name, `strategy:${module.name}`, {
      value: cost.value,
      unit: cost.unit,
      confidence: cost.confidence,
      source: cost.source,
      range: cost.range ? [cost.range[0], cost.range[1]] : undefined,
    });
    costIds.set(name, id);
  }
  let vmalloc: Vmalloc | undefined;
  return {
    machine,
    region,
    options,
    vmalloc(vmallocOptions: VmallocOptions) {
      vmalloc ??= new Vmalloc(machine, vmallocOptions);
      return vmalloc;
    },
    charge(cpu, parameter, count = 1) {
      const id = costIds.get(parameter);
      if (id === undefined || !Number.isFinite(count) || count < 0) {
        refuse({ parameter, count, undeclared: id === undefined });
        return;
      }
      ledger.charge(cpu, Cat.strategy, id, count);
    },
  };
}
