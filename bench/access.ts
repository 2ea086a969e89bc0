/**
 * The access section: simulated accesses per second through Machine.access on a machine set
 * up by each strategy, with a fixed mix (half through a live mapping, 30% writes; half
 * unprotected direct-map pages), beside a raw reference loop doing the same per-access work
 * on plain typed arrays, the practical limit of this machine.
 */
import { REGION_BASE_PFN } from "../core/engine/index.ts";
import { DEFAULT_MACHINE, type Machine, READ, WRITE } from "../core/machine/index.ts";
import { Rng } from "../core/rng.ts";
import { BUILTIN_STRATEGIES } from "../strategies/registry.ts";
import { ACCESSES, add, MAPPED, profile, timeIt } from "./common.ts";
import { scopeOf, strategyBench } from "./harness.ts";

let sink = 0;
/** What the timed loops of this module summed, so that no loop can be optimised away. */
export const accessSink = () => sink;

/** The access mix: half through the mapping's vpns (30% writes), half unprotected pages. */
function accessMix(machine: Machine, mapped: readonly number[]) {
  const rng = new Rng(42);
  const vpns = new Int32Array(ACCESSES);
  const kinds = new Uint8Array(ACCESSES);
  for (let i = 0; i < ACCESSES; i++) {
    if (rng.chance(0.5)) {
      vpns[i] = mapped[rng.int(0, mapped.length - 1)];
      kinds[i] = rng.chance(0.3) ? WRITE : READ;
    } else {
      let pfn = rng.int(0, machine.pages - 1);
      while (pfn >= REGION_BASE_PFN && pfn < REGION_BASE_PFN + 4096)
        pfn = rng.int(0, machine.pages - 1);
      vpns[i] = pfn;
      kinds[i] = READ;
    }
  }
  return { vpns, kinds };
}

/** The raw reference loop over `vpns` (the targets section runs it too). */
export function rawLoopFor(vpns: Int32Array, pages: number, pkrs: number): () => void {
  // The same per-access work on plain typed arrays: a hashed 8-way probe of a 2048-entry
  // table that caches the PTE, a page-table read on a miss, a PKRS bit test.
  const tags = new Int32Array(2048);
  const cached = new Uint32Array(2048);
  const ptes = new Uint32Array(pages);
  return () => {
    for (let i = 0; i < ACCESSES; i++) {
      const vpn = vpns[i];
      const base = (Math.imul(vpn, 0x9e3779b1) >>> 24) * 8;
      let slot = -1;
      for (let way = 0; way < 8; way++) {
        if (tags[base + way] === vpn + 1) {
          slot = base + way;
          break;
        }
      }
      if (slot < 0) {
        slot = base + (vpn & 7);
        tags[slot] = vpn + 1;
        cached[slot] = ptes[vpn < pages ? vpn : vpn % pages];
      }
      const pte = cached[slot];
      sink += (pkrs >>> (((pte >>> 8) & 15) * 2)) & 3;
    }
  };
}

/** Accesses per second of each strategy, and as a share of the raw loop. */
export async function accessSection(): Promise<void> {
  let rawPerSecond = Number.NaN;
  let worst = Number.POSITIVE_INFINITY;
  for (const [name, strategy] of Object.entries(BUILTIN_STRATEGIES)) {
    const { machine, hooks, region } = strategyBench(strategy, DEFAULT_MACHINE, profile, 4096);
    const pfns = Array.from(region.pfns.subarray(0, MAPPED));
    const mapped = hooks.onMap?.({
      cpu: 0,
      thread: machine.current[0],
      pfns,
      intent: "write",
      scope: scopeOf(strategy),
      context: "sleepable",
    });
    if (mapped?.kind !== "ok") throw new Error(`${name}: cannot map for the bench`);
    const { vpns, kinds } = accessMix(machine, mapped.value.vpns);
    if (Number.isNaN(rawPerSecond)) {
      const raw = rawLoopFor(vpns, machine.pages, machine.pkrs[0]);
      rawPerSecond = (ACCESSES * 1000) / (await timeIt("raw", raw));
      add("access", "raw reference loop", rawPerSecond, "accesses/s");
    }
    const ms = await timeIt(name, () => {
      for (let i = 0; i < ACCESSES; i++) sink += machine.access(0, vpns[i], kinds[i] as 0 | 1);
    });
    const perSecond = (ACCESSES * 1000) / ms;
    worst = Math.min(worst, perSecond / rawPerSecond);
    add(
      "access",
      `access path, ${name}`,
      perSecond,
      "accesses/s",
      `${((100 * perSecond) / rawPerSecond).toFixed(1)}% of raw`,
    );
  }
  add("access", "access path / raw, worst strategy", 100 * worst, "%", "target >= 25%");
}
