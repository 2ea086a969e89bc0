/**
 * The commands that read saved result documents and run nothing: `pkslab diff <a> <b>`
 * (two results side by side) and `pkslab machines <x86> <highmem>` (the cross-machine
 * section), and `pkslab profile` (a cost profile as a table).
 */
import { loadProfile } from "../../core/profile.ts";
import { metricsByName } from "../render/common.ts";
import { renderDiff } from "../render/diff.ts";
import { machinesModel, renderMachines } from "../render/machines.ts";
import { loadResults } from "../results/results.ts";
import { splitList } from "../run/config.ts";
import { emit } from "./output.ts";
import { renderProfile } from "./profile.ts";

/** `pkslab diff`: the second result against the first, over the given metrics. */
export function diffAction(
  a: string,
  b: string,
  options: { readonly out?: string; readonly metrics?: string },
): void {
  const docA = loadResults(a);
  const docB = loadResults(b);
  const names = splitList(options.metrics);
  const metrics = names.length > 0 ? metricsByName(docB, names) : undefined;
  emit(renderDiff(docA, docB, metrics), options.out);
}

/** `pkslab machines`: the best design of each machine beside the capability design. */
export function machinesAction(
  x86: string,
  highmem: string,
  options: { readonly out?: string; readonly capability: string },
): void {
  const model = machinesModel(loadResults(x86), loadResults(highmem), options.capability);
  emit(renderMachines(model), options.out);
}

/** `pkslab profile`: every cost parameter with value, unit, source and confidence. */
export function profileAction(options: {
  readonly profile: string;
  readonly json?: boolean;
}): void {
  const profile = loadProfile(options.profile);
  process.stdout.write(
    options.json ? `${JSON.stringify(profile, null, 2)}\n` : renderProfile(profile),
  );
}
