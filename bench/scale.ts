/**
 * The scale section: time and memory as CPUs go 16 -> 1024, simulated memory 4 -> 64 GiB,
 * and the workload's operations double.
 */
import { runSimulation } from "../core/engine/index.ts";
import { DEFAULT_MACHINE, Machine, type MachineConfig, READ } from "../core/machine/index.ts";
import { Rng } from "../core/rng.ts";
import { BUILTIN_STRATEGIES } from "../strategies/registry.ts";
import { BUILTIN_WORKLOADS, resolveWorkloadParams } from "../workloads/registry.ts";
import { ACCESSES, add, format, gc, heapBytes, profile, reps, timeIt } from "./common.ts";
import { median } from "./harness.ts";

let sink = 0;
/** What this module's measurements summed, so that no loop can be optimised away. */
export const scaleSink = () => sink;

const pmem = BUILTIN_WORKLOADS["pmem-dax"];
const pksKmap = BUILTIN_STRATEGIES["pks-kmap"];

function cell(machine: MachineConfig, requests: number, seed = 1) {
  const params = resolveWorkloadParams(pmem, { requests });
  gc();
  const before = process.memoryUsage();
  const start = performance.now();
  const result = runSimulation({
    machine,
    profile,
    strategy: pksKmap,
    strategyOptions: {},
    workload: pmem,
    workloadParams: params,
    seed,
  });
  const ms = performance.now() - start;
  const after = process.memoryUsage();
  return {
    ms,
    accesses: result.metrics["events.accesses"],
    operations: result.metrics["run.operations"],
    memory: after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers,
  };
}

/**
 * Bytes a machine of `memoryGiB` holds at boot and once every page's direct-map PTE has
 * changed and every page is watched (the most the model keeps per page). In a function of
 * its own, so that nothing of a previous machine is still reachable from this frame.
 */
export function machineBytes(memoryGiB: number) {
  const base = heapBytes();
  const start = performance.now();
  const machine = new Machine({ ...DEFAULT_MACHINE, memoryGiB }, profile);
  const bootMs = performance.now() - start;
  const boot = heapBytes() - base;
  const all = new Int32Array(machine.pages);
  for (let i = 0; i < all.length; i++) all[i] = i;
  machine.watch(all);
  machine.changeDirectMap(0, 0, machine.pages, { key: 1 });
  const touched = heapBytes() - base - all.byteLength;
  sink += machine.totalExposure();
  return { pages: machine.pages, boot, touched, bootMs };
}

export async function scaleSection(): Promise<void> {
  // Per-access path at 16 and 1024 CPUs (accesses spread over all CPUs).
  for (const cpus of [16, 1024]) {
    const machine = new Machine({ ...DEFAULT_MACHINE, cpus }, profile);
    const rng = new Rng(7);
    const vpns = new Int32Array(ACCESSES);
    for (let i = 0; i < ACCESSES; i++) vpns[i] = rng.int(0, machine.pages - 1);
    const ms = await timeIt(`access ${cpus}`, () => {
      for (let i = 0; i < ACCESSES; i++) sink += machine.access(i % cpus, vpns[i], READ);
    });
    add("scale", `access path, ${cpus} CPUs`, (ACCESSES * 1000) / ms, "accesses/s");
  }
  // A pmem-dax / pks-kmap cell as CPUs grow (one thread per CPU, 300 requests each).
  for (const cpus of [16, 64, 256, 1024]) {
    const requests = Math.max(10, Math.round((300 * 16) / cpus));
    const last = cell({ ...DEFAULT_MACHINE, cpus }, requests);
    const times = [last.ms];
    for (let i = 1; i < reps; i++) times.push(cell({ ...DEFAULT_MACHINE, cpus }, requests).ms);
    const ms = median(times);
    add(
      "scale",
      `pmem-dax/pks-kmap cell, ${cpus} CPUs`,
      (ms * 1e6) / last.accesses,
      "ns/access",
      `${last.operations} ops, ${format(ms)} ms`,
    );
  }
  // Machine state per simulated 4 KiB page: at boot, and with every page's PTE changed
  // and watched (the most the model ever holds per page).
  // One discarded round first: the first measurement also sees earlier sections' garbage go.
  machineBytes(4);
  for (const memoryGiB of [4, 16, 64]) {
    const { pages, boot, touched, bootMs } = machineBytes(memoryGiB);
    add(
      "scale",
      `machine, ${memoryGiB} GiB, boot`,
      boot / pages,
      "bytes/page",
      `${format(bootMs)} ms to build`,
    );
    add(
      "scale",
      `machine, ${memoryGiB} GiB, every page changed and watched`,
      touched / pages,
      "bytes/page",
      `${format(touched / 2 ** 20)} MiB; target <= 32`,
    );
  }
  // Doubling operations.
  const base = [300, 600, 1200, 2400];
  let previous = Number.NaN;
  for (const requests of base) {
    const times = [];
    for (let i = 0; i < reps; i++) times.push(cell(DEFAULT_MACHINE, requests).ms);
    const ms = median(times);
    add(
      "scale",
      `pmem-dax/pks-kmap cell, ${requests} requests/thread`,
      ms,
      "ms",
      Number.isNaN(previous)
        ? undefined
        : `${(ms / previous).toFixed(2)}x the half; target <= 2.1x`,
    );
    previous = ms;
  }
}
