/** The mapping section: map/unmap pairs per second for each strategy (one page, its most local scope). */
import { DEFAULT_MACHINE } from "../core/machine/index.ts";
import { BUILTIN_STRATEGIES } from "../strategies/registry.ts";
import { add, profile, timeIt } from "./common.ts";
import { scopeOf, strategyBench } from "./harness.ts";

export async function mappingSection(): Promise<void> {
  const PAIRS = 2000;
  for (const [name, strategy] of Object.entries(BUILTIN_STRATEGIES)) {
    const { machine, hooks, region } = strategyBench(strategy, DEFAULT_MACHINE, profile, 4096);
    const scope = scopeOf(strategy);
    let page = 0;
    const ms = await timeIt(name, () => {
      for (let i = 0; i < PAIRS; i++) {
        page = (page + 7) % region.pfns.length;
        const thread = machine.current[0];
        const cpu = 0;
        const out = hooks.onMap?.({
          cpu,
          thread,
          pfns: [region.pfns[page]],
          intent: "write",
          scope,
          context: "sleepable",
        });
        if (out?.kind !== "ok") throw new Error(`${name}: map failed`);
        hooks.onUnmap?.({ cpu, thread, mapping: out.value });
      }
    });
    add("mapping", `map/unmap, ${name}`, (PAIRS * 1000) / ms, "pairs/s", `${scope} scope`);
  }
}
