/**
 * The cost audit of the conformance kit, run after every check: every cycle in the ledger
 * comes from the model. Only the model's parameters (the profile's and the machine's own)
 * and the strategy's declared ones are registered, none changed value, the totals equal the
 * per-category sums and the per-parameter attribution plus the simulated waits, the
 * strategy category is its declared parameters, no CPU's clock is behind the cycles charged
 * to it.
 *
 * @packageDocumentation
 */
import { COST_CATEGORIES } from "../../core/ledger.ts";
import type { Harness } from "./harness.ts";
import { CHECK_NAMES } from "./scenarios.ts";

/** Cost accounting audit of one harness: everything the ledger holds must come from the model. */
export function auditCosts(h: Harness): void {
  const { ledger } = h.machine;
  const fail = (message: string) =>
    h.findings.fail("costs", `[${h.scenario.label}] during "${CHECK_NAMES[h.check]}": ${message}`);
  const expected = h.modelParameters + Object.keys(h.module.costs).length;
  if (ledger.parameters.length !== expected) {
    const extra = ledger.parameters.slice(expected).map((source) => source.name);
    fail(`registered cost parameters outside its metadata: ${extra.join(", ")}`);
  }
  ledger.parameters.forEach((source, id) => {
    if (ledger.parameterValues[id] !== source.parameter.value) {
      fail(
        `changed the value of cost parameter ${source.name} from ${source.parameter.value} to ${ledger.parameterValues[id]}`,
      );
    }
  });
  if (ledger.muted) fail("left the ledger muted");
  const total = ledger.totalCycles();
  const byCategory = ledger.byCategory();
  const categorySum = COST_CATEGORIES.reduce((sum, name) => sum + byCategory[name], 0);
  const attributed = ledger.bySource().reduce((sum, row) => sum + row.cycles, 0);
  const waits = byCategory.ipi_wait + byCategory.lock_spin;
  const tolerance = 1e-6 * Math.max(1, total);
  if (Math.abs(categorySum - total) > tolerance) {
    fail(`ledger total ${total} differs from the sum of its categories ${categorySum}`);
  }
  if (byCategory.work !== 0) {
    fail(`charged ${byCategory.work} cycles as workload "work" (only workloads do that)`);
  }
  if (Math.abs(total - waits - attributed) > tolerance) {
    fail(
      `${total - waits - attributed} cycles in the ledger come from no named parameter (written directly, not charged through a primitive or context.charge)`,
    );
  }
  const strategyAttributed = ledger
    .bySource()
    .filter((row) => row.owner === `strategy:${h.module.name}`)
    .reduce((sum, row) => sum + row.cycles, 0);
  if (Math.abs(byCategory.strategy - strategyAttributed) > tolerance) {
    fail(
      `the strategy category holds ${byCategory.strategy} cycles but its declared parameters account for ${strategyAttributed}`,
    );
  }
  const categories = COST_CATEGORIES.length;
  for (let cpu = 0; cpu < h.machine.cpus; cpu++) {
    let charged = 0;
    for (let c = 0; c < categories; c++) charged += ledger.cycles[cpu * categories + c];
    if (ledger.clock[cpu] + tolerance < charged) {
      fail(
        `CPU ${cpu}'s clock (${ledger.clock[cpu]}) is behind the cycles charged to it (${charged})`,
      );
    }
  }
}
