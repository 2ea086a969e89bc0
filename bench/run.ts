/**
 * Benchmarks of the simulator itself (host wall-clock, noisy; never mixed with model
 * metrics). `npm run bench` prints a table; `npm run bench -- --json <file>` also writes
 * the figures as JSON.
 *
 * - access path: simulated accesses per second through Machine.access (TLB lookup, walk on
 *   miss, permission and PKS checks, ledger), on a fixed mix of addresses;
 * - raw reference loop: the same per-access work on plain typed arrays (hashed TLB probe,
 *   PTE read, PKRS bit test), the practical limit of this machine; the access path is
 *   reported as a ratio of it;
 * - map/unmap: pairs per second for each built-in strategy;
 * - machine setup and one default comparison cell.
 */
import { writeFileSync } from "node:fs";
import { Bench } from "tinybench";
import { runSimulation } from "../core/engine.ts";
import { DEFAULT_MACHINE, Machine, READ, WRITE } from "../core/machine.ts";
import { pksInitValue } from "../core/pkrs.ts";
import { loadProfile } from "../core/profile.ts";
import { Rng } from "../core/rng.ts";
import { BUILTIN_STRATEGIES } from "../strategies/registry.ts";
import { BUILTIN_WORKLOADS, resolveWorkloadParams } from "../workloads/registry.ts";

const ACCESSES = 100_000;
const profile = loadProfile();

function addresses(machine: Machine): Int32Array {
  // Mostly direct-map pages (1G leaves: TLB hits) with a protected 4K-split neighbourhood.
  const rng = new Rng(42);
  const out = new Int32Array(ACCESSES);
  for (let i = 0; i < ACCESSES; i++) {
    out[i] = rng.chance(0.5) ? rng.int(0, machine.pages - 1) : (1 << 18) + rng.int(0, 4095);
  }
  return out;
}

const machine = new Machine({ ...DEFAULT_MACHINE, cpus: 16 }, profile);
machine.enablePks(pksInitValue({ 1: "wd" }));
machine.changeDirectMap(0, 1 << 18, 4096, { key: 1 });
const mix = addresses(machine);

// Raw reference: a hashed 8-way probe of a 2048-entry table, a PTE read, a PKRS bit test.
const tags = new Int32Array(2048);
const ptes = new Uint32Array(machine.pages);
let sink = 0;
function rawLoop(): void {
  const pkrs = machine.pkrs[0];
  for (let i = 0; i < ACCESSES; i++) {
    const vpn = mix[i];
    const base = (Math.imul(vpn, 0x9e3779b1) >>> 24) * 8;
    let hit = false;
    for (let way = 0; way < 8; way++) {
      if (tags[base + way] === vpn + 1) {
        hit = true;
        break;
      }
    }
    if (!hit) tags[base + (vpn & 7)] = vpn + 1;
    const pte = ptes[vpn];
    sink += (pkrs >>> (((pte >>> 8) & 15) * 2)) & 3;
  }
}

function accessPath(): void {
  for (let i = 0; i < ACCESSES; i++) sink += machine.access(0, mix[i], i & 1 ? WRITE : READ);
}

const bench = new Bench({ time: 500 });
bench.add("raw reference loop (100k accesses)", rawLoop);
bench.add("access path, full model (100k accesses)", accessPath);
bench.add("machine setup (16 CPUs, 16 GiB)", () => {
  new Machine(DEFAULT_MACHINE, profile);
});
const pmem = BUILTIN_WORKLOADS["pmem-dax"];
const pmemParams = resolveWorkloadParams(pmem, {});
for (const [name, strategy] of Object.entries(BUILTIN_STRATEGIES)) {
  bench.add(`pmem-dax cell, ${name} (1 seed)`, () => {
    runSimulation({
      machine: DEFAULT_MACHINE,
      profile,
      strategy,
      strategyOptions: {},
      workload: pmem,
      workloadParams: pmemParams,
      seed: 1,
      strayEvery: 20,
    });
  });
}

await bench.run();
const rows = bench.tasks.map((task) => {
  const result = task.result as
    | { latency?: { mean: number }; throughput?: { mean: number } }
    | undefined;
  const meanMs = result?.latency?.mean ?? Number.NaN;
  const perSecond = task.name.includes("100k accesses")
    ? (ACCESSES * 1000) / meanMs
    : 1000 / meanMs;
  return { name: task.name, meanMs, perSecond };
});
const raw = rows.find((row) => row.name.startsWith("raw"))!;
const model = rows.find((row) => row.name.startsWith("access path"))!;
console.table(
  rows.map((row) => ({
    task: row.name,
    "mean ms": row.meanMs.toFixed(3),
    "per second": row.perSecond.toExponential(3),
  })),
);
const ratio = model.perSecond / raw.perSecond;
console.log(`access path = ${(ratio * 100).toFixed(1)}% of the raw reference loop (target >= 25%)`);
const jsonIndex = process.argv.indexOf("--json");
if (jsonIndex > 0 && process.argv[jsonIndex + 1]) {
  writeFileSync(
    process.argv[jsonIndex + 1],
    `${JSON.stringify({ node: process.version, rows, accessPathRatio: ratio, sink: sink > 0 }, null, 2)}\n`,
  );
}
