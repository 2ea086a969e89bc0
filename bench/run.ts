/**
 * Benchmarks of the simulator itself (host wall-clock and memory, noisy; never mixed with
 * model metrics, never asserted in tests). `npm run bench` prints one table; `npm run bench
 * -- --json <file>` also writes the same rows as JSON. `--only a,b` runs some sections
 * (targets, access, mapping, compare, scale, census); `--reps <n>` sets the repetitions of the
 * process-level measurements (default 3, medians reported).
 *
 * - access: simulated accesses per second through Machine.access (TLB lookup, walk on
 *   miss, permission and PKS checks, ledger) on a machine set up by each strategy, with a
 *   fixed mix (half through a live mapping, 30% writes; half unprotected direct-map pages);
 *   and a raw reference loop doing the same per-access work on plain typed arrays (hashed
 *   TLB probe, PTE read, PKRS bit test), the practical limit of this machine. The access
 *   path is reported as a ratio of it.
 * - mapping: map/unmap pairs per second for each strategy (one page, its most local scope).
 * - compare: wall time and peak RSS of the default `pkslab compare` (child processes), with
 *   one worker and with the default number, the speed-up, and whether the outputs match.
 * - scale: time and memory as CPUs go 16 -> 1024, simulated memory 4 -> 64 GiB, and the
 *   workload's operations double.
 * - census: the full Debian 6.1 tree (PKSLAB_KERNEL_SRC or ~/.cache/pkslab/linux-source-6.1).
 * - targets: every target of issue 19 with its goal and MET / NOT MET, beside a raw
 *   typed-array loop run in this process: end-to-end simulated accesses per second of the
 *   default comparison (also per workload) as a share of the raw loop; the default compare's
 *   wall time with start-up (start-up apart); compare --sensitivity on the default matrix;
 *   claims; validate; the speed-up of --jobs on validate and claims (outputs compared);
 *   replay of the excerpt repeated to 400,000 and 4,000,000 lines (a
 *   synthetic trace; peak RSS of both); the speed-up of 2 threads on a 200-cell sweep with
 *   identical outputs; machine state per simulated page. `--limit <s>` stops a long child
 *   (default 900 s; a stopped one is NOT MET). Printed as a table of its own; the JSON rows
 *   carry `goal` and `met`.
 */
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import {
  availableParallelism,
  homedir,
  cpus as hostCpus,
  loadavg,
  tmpdir,
  totalmem,
} from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Bench } from "tinybench";
import { REGION_BASE_PFN, runSimulation } from "../core/engine/index.ts";
import {
  DEFAULT_MACHINE,
  Machine,
  type MachineConfig,
  READ,
  WRITE,
} from "../core/machine/index.ts";
import { loadProfile } from "../core/profile.ts";
import { Rng } from "../core/rng.ts";
import { mergeCompareOptions } from "../reports/run/config.ts";
import { resolveComparison, runResolved } from "../reports/run/plan.ts";
import { autoJobs } from "../reports/run/pool.ts";
import { BUILTIN_STRATEGIES } from "../strategies/registry.ts";
import { BUILTIN_WORKLOADS, resolveWorkloadParams } from "../workloads/registry.ts";
import { measureProcess, median, scopeOf, strategyBench } from "./harness.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const only = flag("--only")?.split(",");
const reps = Number(flag("--reps") ?? 3);
const wanted = (section: string) => !only || only.includes(section);

/** One figure of the suite. */
interface Row {
  readonly section: string;
  readonly task: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
  /** For the targets of issue 19: the goal as text, and whether the figure meets it. */
  readonly goal?: string;
  readonly met?: boolean;
}
const rows: Row[] = [];
const add = (section: string, task: string, value: number, unit: string, note?: string) => {
  rows.push({ section, task, value, unit, ...(note ? { note } : {}) });
  process.stderr.write(
    `  ${section}: ${task} = ${format(value)} ${unit}${note ? ` (${note})` : ""}\n`,
  );
};
function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1e5) return value.toExponential(3);
  return Number(value.toPrecision(4)).toString();
}

const profile = loadProfile();
const ACCESSES = 100_000;
const MAPPED = 8;
let sink = 0;

/** Mean ms per call of a tinybench task. */
async function timeIt(name: string, fn: () => void, time = 400): Promise<number> {
  const bench = new Bench({ time, warmupTime: 100 });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0].result as { latency?: { mean: number } } | undefined;
  return result?.latency?.mean ?? Number.NaN;
}

/** Bytes of JS heap plus array buffers now, after a full collection. */
function heapBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

// ---------------------------------------------------------------------------------------
// Access path and raw reference loop.

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

function rawLoopFor(vpns: Int32Array, pages: number, pkrs: number): () => void {
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

async function accessSection(): Promise<void> {
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

// ---------------------------------------------------------------------------------------
// Mapping throughput.

async function mappingSection(): Promise<void> {
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

// ---------------------------------------------------------------------------------------
// The default comparison, as a user runs it.

function compareSection(): void {
  const cores = availableParallelism();
  const run = (jobs: number) => {
    const out = measureProcess(
      ["bin/pkslab.mjs", "compare", "--format", "csv", "--jobs", String(jobs)],
      ROOT,
    );
    if (out.status !== 0) throw new Error(`pkslab compare exited with ${out.status}`);
    return out;
  };
  // Interleaved (all threads, one thread, all threads, ...) so that load on a shared host
  // moves both figures alike.
  const many: ReturnType<typeof run>[] = [];
  const one: ReturnType<typeof run>[] = [];
  for (let i = 0; i < reps; i++) {
    many.push(run(cores));
    one.push(run(1));
  }
  const wall = median(many.map((r) => r.wallMs)) / 1000;
  const wallOne = median(one.map((r) => r.wallMs)) / 1000;
  const same = many.every((r) => r.stdout === one[0].stdout);
  // 50 cells x 5 seeds.
  const jobs = autoJobs(250);
  add(
    "compare",
    `default pkslab compare, wall (default: --jobs ${jobs})`,
    jobs === 1 ? wallOne : wall,
    "s",
    `median of ${reps}; target < 10 s`,
  );
  add("compare", `default pkslab compare, wall (--jobs ${cores})`, wall, "s", `median of ${reps}`);
  add(
    "compare",
    `default pkslab compare, peak RSS (--jobs ${cores})`,
    median(many.map((r) => r.peakRss)) / 2 ** 20,
    "MiB",
  );
  add("compare", "default pkslab compare, wall (--jobs 1)", wallOne, "s", `median of ${reps}`);
  add(
    "compare",
    "default pkslab compare, peak RSS (--jobs 1)",
    median(one.map((r) => r.peakRss)) / 2 ** 20,
    "MiB",
  );
  add(
    "compare",
    `worker speed-up (--jobs ${cores} vs 1)`,
    wallOne / wall,
    "x",
    `outputs ${same ? "identical" : "DIFFER"}; target >= 1.7x`,
  );
}

/** Start-up of the CLI: from its esbuild bundle (the default) and from the sources via tsx. */
function startupSection(): void {
  const time = (env: Record<string, string>) => {
    const walls: number[] = [];
    // The first run may build the bundle; it is not counted.
    measureProcess(["bin/pkslab.mjs", "--version"], ROOT, env);
    for (let i = 0; i < Math.max(reps, 3); i++) {
      walls.push(measureProcess(["bin/pkslab.mjs", "--version"], ROOT, env).wallMs);
    }
    return median(walls) / 1000;
  };
  add("startup", "pkslab --version, from the bundle", time({}), "s", "median");
  add(
    "startup",
    "pkslab --version, from the sources (tsx)",
    time({ PKSLAB_NO_BUNDLE: "1" }),
    "s",
    "median; PKSLAB_NO_BUNDLE=1",
  );
}

/** A sweep of 200 cells (4 points x 10 workloads x 5 strategies, 3 seeds): all cores vs 1. */
function sweepSection(): void {
  const args = [
    "bin/pkslab.mjs",
    "sweep",
    "--param",
    "profile.wrmsr_pkrs_cycles=1,16,64,256",
    "--seeds",
    "3",
    "--format",
    "csv",
  ];
  const many: ReturnType<typeof measureProcess>[] = [];
  const one: ReturnType<typeof measureProcess>[] = [];
  for (let i = 0; i < reps; i++) {
    many.push(measureProcess([...args, "--jobs", String(availableParallelism())], ROOT));
    one.push(measureProcess([...args, "--jobs", "1"], ROOT));
  }
  const wall = median(many.map((r) => r.wallMs)) / 1000;
  const wallOne = median(one.map((r) => r.wallMs)) / 1000;
  const same = many.every((r) => r.stdout === one[0].stdout && r.status === 0);
  add(
    "sweep",
    `200-cell sweep, wall (--jobs ${availableParallelism()}; the default: ${autoJobs(600)})`,
    wall,
    "s",
  );
  add("sweep", "200-cell sweep, wall (--jobs 1)", wallOne, "s");
  add(
    "sweep",
    `worker speed-up (--jobs ${availableParallelism()} vs 1)`,
    wallOne / wall,
    "x",
    `outputs ${same ? "identical" : "DIFFER"}; target >= 1.7x`,
  );
}

// ---------------------------------------------------------------------------------------
// Scale: CPUs, simulated memory, operations.

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
function machineBytes(memoryGiB: number) {
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

async function scaleSection(): Promise<void> {
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

// ---------------------------------------------------------------------------------------
// The targets of issue 19, each with its goal and whether it is met (never asserted).

const targets: Row[] = [];
/** A figure with a goal: `atMost` or `atLeast` (in `unit`). */
function target(
  task: string,
  value: number,
  unit: string,
  goal: { readonly atMost?: number; readonly atLeast?: number },
  note?: string,
): void {
  const met =
    Number.isFinite(value) &&
    (goal.atMost === undefined || value <= goal.atMost) &&
    (goal.atLeast === undefined || value >= goal.atLeast);
  const text =
    goal.atMost !== undefined ? `<= ${goal.atMost} ${unit}` : `>= ${goal.atLeast} ${unit}`;
  const row: Row = {
    section: "targets",
    task,
    value,
    unit,
    goal: text,
    met,
    ...(note ? { note } : {}),
  };
  rows.push(row);
  targets.push(row);
  process.stderr.write(
    `  targets: ${task} = ${format(value)} ${unit} (goal ${text}: ${met ? "MET" : "NOT MET"})${note ? ` (${note})` : ""}\n`,
  );
}

/** Wall-clock limit of one long child process (compare --sensitivity, the 4M-event replay). */
const LIMIT_S = Number(flag("--limit") ?? 900);

/**
 * A synthetic trace of `events` event lines: the excerpt's header, then its event lines
 * over and over, each repetition shifted in time past the previous one (the trace stays
 * ordered in time). Written to `file`; returns the number of event lines.
 */
function syntheticTrace(file: string, events: number): number {
  const text = readFileSync(join(ROOT, "test/fixtures/traces/capture-excerpt.txt"), "latin1");
  const lines = text.split("\n").filter((line) => line !== "");
  const header = lines.filter((line) => line.startsWith("#"));
  const body = lines.filter((line) => !line.startsWith("#"));
  const stamp = /^(.*?\s)(\d+)\.(\d{6}):/;
  const parsed = body.map((line) => {
    const m = stamp.exec(line);
    if (!m) throw new Error(`bench: no timestamp in the excerpt line ${line}`);
    return {
      head: m[1],
      micros: Number(m[2]) * 1e6 + Number(m[3]),
      rest: line.slice(m[0].length),
    };
  });
  const span = parsed[parsed.length - 1].micros - parsed[0].micros + 1000;
  const fd = openSync(file, "w");
  const out: string[] = [...header];
  let written = 0;
  for (let round = 0; written < events; round++) {
    for (const line of parsed) {
      if (written >= events) break;
      const t = line.micros + round * span;
      const seconds = Math.floor(t / 1e6);
      const micros = String(t - seconds * 1e6).padStart(6, "0");
      out.push(`${line.head}${seconds}.${micros}:${line.rest}`);
      written++;
      if (out.length >= 50_000) {
        writeSync(fd, `${out.join("\n")}\n`);
        out.length = 0;
      }
    }
  }
  if (out.length > 0) writeSync(fd, `${out.join("\n")}\n`);
  closeSync(fd);
  return written;
}

async function targetsSection(): Promise<void> {
  const cores = availableParallelism();
  // The raw typed-array loop (see the access section), in this process.
  const raw = new Machine(DEFAULT_MACHINE, profile);
  const rng = new Rng(42);
  const vpns = new Int32Array(ACCESSES);
  for (let i = 0; i < ACCESSES; i++) vpns[i] = rng.int(0, raw.pages - 1);
  const rawPerSecond =
    (ACCESSES * 1000) / (await timeIt("raw", rawLoopFor(vpns, raw.pages, raw.pkrs[0])));
  add("targets", "raw reference loop (this process)", rawPerSecond, "accesses/s");
  targets.push(rows[rows.length - 1]);

  // End to end: every seed run of the default comparison, in this thread, workload by
  // workload; simulated accesses (steady state, events.accesses) over the wall time of the runs.
  const comparison = await resolveComparison(mergeCompareOptions({} as never));
  let accesses = 0;
  let wallMs = 0;
  for (const workload of comparison.workloads) {
    const start = performance.now();
    const cells = runResolved({ ...comparison, workloads: [workload] });
    const ms = performance.now() - start;
    let count = 0;
    for (const cell of cells)
      for (const run of cell.runs) count += run.metrics["events.accesses"] ?? 0;
    accesses += count;
    wallMs += ms;
    const rate = (count * 1000) / ms;
    add(
      "targets",
      `end to end, ${workload.module.name}`,
      rate,
      "accesses/s",
      `${((100 * rate) / rawPerSecond).toFixed(2)}% of raw; ${format(ms)} ms`,
    );
    targets.push(rows[rows.length - 1]);
  }
  const endToEnd = (accesses * 1000) / wallMs;
  target(
    "end-to-end simulated accesses/s of the default comparison, % of the raw loop",
    (100 * endToEnd) / rawPerSecond,
    "%",
    { atLeast: 10 },
    `${format(endToEnd)} accesses/s; ${format(accesses)} accesses in ${format(wallMs / 1000)} s`,
  );

  // Start-up, and the default compare as a user runs it (start-up included).
  measureProcess(["bin/pkslab.mjs", "--version"], ROOT); // may build the bundle
  const startups: number[] = [];
  for (let i = 0; i < Math.max(reps, 3); i++) {
    startups.push(measureProcess(["bin/pkslab.mjs", "--version"], ROOT).wallMs);
  }
  const startup = median(startups) / 1000;
  add("targets", "start-up (pkslab --version)", startup, "s", "median");
  const compares: number[] = [];
  for (let i = 0; i < reps; i++) {
    const out = measureProcess(["bin/pkslab.mjs", "compare", "--format", "csv"], ROOT);
    if (out.status !== 0) throw new Error(`pkslab compare exited with ${out.status}`);
    compares.push(out.wallMs);
  }
  target(
    "default pkslab compare, wall incl. start-up",
    median(compares) / 1000,
    "s",
    { atMost: 1.5 },
    `median of ${reps}; start-up ${format(startup)} s`,
  );

  const once = (args: string[], limit = LIMIT_S) => {
    const out = measureProcess(["bin/pkslab.mjs", ...args], ROOT, {}, limit * 1000);
    return out.status === 0 ? out.wallMs / 1000 : Number.NaN;
  };
  const sensitivity = once(["compare", "--sensitivity", "--format", "csv"]);
  target(
    "compare --sensitivity, default matrix",
    sensitivity,
    "s",
    { atMost: 60 },
    Number.isNaN(sensitivity) ? `failed or stopped after ${LIMIT_S} s (--limit)` : "one run",
  );
  const claims = once(["claims", "--format", "json"]);
  target("claims", claims, "s", { atMost: 3 }, "one run");
  const validates: number[] = [];
  for (let i = 0; i < reps; i++) validates.push(once(["validate", "--format", "json"]));
  target("validate", median(validates), "s", { atMost: 1 }, `median of ${reps}`);

  // --jobs on validate and claims (the runner of reports/run): interleaved, outputs compared.
  for (const command of ["validate", "claims"]) {
    const walls: Record<string, number[]> = { many: [], one: [] };
    let same = true;
    for (let i = 0; i < reps; i++) {
      const outs = (["many", "one"] as const).map((which) => {
        const jobs = which === "many" ? String(Math.max(2, cores)) : "1";
        const out = measureProcess(
          ["bin/pkslab.mjs", command, "--format", "json", "--jobs", jobs],
          ROOT,
          {},
          LIMIT_S * 1000,
        );
        walls[which].push(out.status === 0 ? out.wallMs : Number.NaN);
        return out.stdout;
      });
      same &&= outs[0] === outs[1];
    }
    add(
      "targets",
      `${command}, --jobs ${Math.max(2, cores)} vs --jobs 1`,
      median(walls.one) / median(walls.many),
      "x",
      `medians of ${reps}: ${format(median(walls.many) / 1000)} s vs ${format(median(walls.one) / 1000)} s; outputs ${same ? "identical" : "DIFFER"}; load ${loadavg()[0].toFixed(2)}`,
    );
    targets.push(rows[rows.length - 1]);
  }

  // Replay: the excerpt's events repeated to 400,000 and to 4,000,000 lines.
  const dir = mkdtempSync(join(tmpdir(), "pkslab-bench-trace-"));
  try {
    let rss400k = Number.NaN;
    for (const [lines, goal] of [
      [400_000, 3],
      [4_000_000, 15],
    ] as const) {
      const file = join(dir, `trace-${lines}.txt`);
      syntheticTrace(file, lines);
      const out = measureProcess(
        ["bin/pkslab.mjs", "replay", file, "--format", "json"],
        ROOT,
        {},
        LIMIT_S * 1000,
      );
      const seconds = out.status === 0 ? out.wallMs / 1000 : Number.NaN;
      rmSync(file, { force: true });
      const rss = out.peakRss / 2 ** 20;
      if (lines === 400_000) rss400k = rss;
      target(
        `replay, ${lines / 1000}k-line trace (the excerpt repeated), incl. parsing`,
        seconds,
        "s",
        { atMost: goal },
        `peak RSS ${format(rss)} MiB${lines > 400_000 ? `, ${format(rss / rss400k)}x that of 400k lines` : ""}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Two threads on 200 cells (the sweep of the sweep section), outputs compared.
  const sweep = [
    "bin/pkslab.mjs",
    "sweep",
    "--param",
    "profile.wrmsr_pkrs_cycles=1,16,64,256",
    "--seeds",
    "3",
    "--format",
    "csv",
  ];
  const many = measureProcess([...sweep, "--jobs", String(Math.max(2, cores))], ROOT);
  const one = measureProcess([...sweep, "--jobs", "1"], ROOT);
  const same = many.status === 0 && one.status === 0 && many.stdout === one.stdout;
  target(
    `speed-up, --jobs ${Math.max(2, cores)} vs --jobs 1, 200-cell sweep`,
    same ? one.wallMs / many.wallMs : Number.NaN,
    "x",
    { atLeast: 1.8 },
    `${format(many.wallMs / 1000)} s vs ${format(one.wallMs / 1000)} s; outputs ${same ? "identical" : "DIFFER"}`,
  );

  // Machine state per simulated page: 16 GiB, every PTE changed and every page watched.
  machineBytes(4);
  const { touched, pages } = machineBytes(16);
  target("machine state per simulated page (16 GiB, all touched)", touched / pages, "bytes/page", {
    atMost: 32,
  });
}

// ---------------------------------------------------------------------------------------
// Census of a real kernel tree.

async function censusSection(): Promise<void> {
  const tree =
    process.env.PKSLAB_KERNEL_SRC ?? join(homedir(), ".cache", "pkslab", "linux-source-6.1");
  if (!existsSync(tree)) {
    add("census", "Debian 6.1 tree", Number.NaN, "s", `not present at ${tree}`);
    return;
  }
  const { runCensus } = await import("../reports/analyses/census/census.ts");
  const times = [];
  let rss = 0;
  for (let i = 0; i < Math.max(1, Math.min(reps, 2)); i++) {
    const start = performance.now();
    const result = runCensus({ kernelSrc: tree });
    times.push(performance.now() - start);
    rss = Math.max(rss, process.memoryUsage().rss);
    sink += result.scan ? 1 : 0;
  }
  add("census", "full Debian 6.1 tree", median(times) / 1000, "s", tree);
  add("census", "resident memory after the census", rss / 2 ** 20, "MiB");
}

// ---------------------------------------------------------------------------------------

if (wanted("targets")) await targetsSection();
if (wanted("access")) await accessSection();
if (wanted("mapping")) await mappingSection();
if (wanted("scale")) await scaleSection();
if (wanted("census")) await censusSection();
if (wanted("startup")) startupSection();
if (wanted("compare")) compareSection();
if (wanted("sweep")) sweepSection();

console.table(
  rows.map((row) => ({
    section: row.section,
    task: row.task,
    value: format(row.value),
    unit: row.unit,
    note: row.note ?? "",
  })),
);
if (targets.length > 0) {
  console.log("\nTargets of issue 19 (goal, and whether this run meets it):");
  console.table(
    targets.map((row) => ({
      task: row.task,
      value: format(row.value),
      unit: row.unit,
      goal: row.goal ?? "",
      met: row.met === undefined ? "" : row.met ? "MET" : "NOT MET",
      note: row.note ?? "",
    })),
  );
}
const host = {
  cpu: hostCpus()[0]?.model ?? "unknown",
  cores: availableParallelism(),
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  loadAverage: loadavg().map((v) => Number(v.toFixed(2))),
  node: process.version,
  date: new Date().toISOString(),
};
console.log(
  `host: ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, load ${host.loadAverage.join(" ")}, node ${host.node}`,
);
const jsonFile = flag("--json");
if (jsonFile) {
  writeFileSync(jsonFile, `${JSON.stringify({ host, rows, sink: sink !== 0 }, null, 2)}\n`);
}
