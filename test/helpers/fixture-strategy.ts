/**
 * The frame of a test fixture's strategy plugin (test/reliability/fixtures/,
 * test/reports/fixtures/): a fixture states its name, what it does wrong and the hooks that
 * do it; the rest is the same for all of them (no options, no costs, every scope claimed,
 * no protection promised, its own file as citation).
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Thread } from "../../core/machine/index.ts";
import { pkrsWith, pksInitValue } from "../../core/machine/pkrs.ts";
import {
  defineStrategy,
  type MapRequest,
  type StrategyContext,
  type StrategyHooks,
  type StrategyModule,
} from "../../strategies/api.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A fixture's module: it declares no options. */
type Fixture = StrategyModule<Record<never, never>>;

/** What a fixture states; `supports` and `restoresProtection` only where it differs. */
export type FixtureFields = Pick<Fixture, "name" | "summary" | "create"> &
  Partial<Pick<Fixture, "supports" | "restoresProtection">>;

/** A fixture strategy defined in the module at `url` (pass `import.meta.url`). */
export function fixtureStrategy(url: string, fields: FixtureFields): Fixture {
  return defineStrategy({
    version: "0.0.1",
    citation: relative(ROOT, fileURLToPath(url)),
    options: {},
    costs: {},
    supports: { local: true, global: true, longTerm: true },
    restoresProtection: false,
    ...fields,
  });
}

/** The key a fixture protects its region with. */
const KEY = 1;

/**
 * The hooks of a minimal PKS strategy: the region keyed access-disable at setup, and a
 * map that lifts the key for the mapping thread (the pages stay at their direct-map
 * addresses). Without an unmap: a fixture chooses whether, and how, it closes again.
 */
export function liftKeyHooks({ machine, region }: StrategyContext) {
  return {
    onSetup: () => {
      machine.enablePks(pksInitValue());
      machine.changeDirectMap(0, region.pfns[0], region.pfns.length, { key: KEY });
      return { kind: "ok", value: undefined } as const;
    },
    onMap: ({ thread, pfns }: MapRequest) => {
      machine.setThreadPkrs(thread, pkrsWith(thread.pkrs, KEY, "rw"));
      return { kind: "ok", value: { vpns: pfns, contiguous: pfns.length === 1 } } as const;
    },
  } satisfies StrategyHooks;
}

/** Closes what `liftKeyHooks` opened: the key back to access-disable for the thread. */
export function dropKey({ machine }: StrategyContext, thread: Thread) {
  machine.setThreadPkrs(thread, pkrsWith(thread.pkrs, KEY, "ad"));
}
