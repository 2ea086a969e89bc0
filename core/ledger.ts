import type { CostParameter, CostProfile } from "./profile.ts";

/**
 * Cost categories. Every cycle the model charges lands in exactly one category, and
 * comes from exactly one named parameter (or from simulated waiting, which is derived
 * from other charges). The names are part of the result contract (`cost.cycles.<name>`).
 */
export const COST_CATEGORIES = [
  "work",
  "access",
  "stlb_hit",
  "tlb_walk",
  "pkrs_write",
  "pte_write",
  "invlpg",
  "tlb_flush",
  "ipi_send",
  "ipi_wait",
  "ipi_handle",
  "pt_alloc",
  "context_switch",
  "migration",
  "fault",
  "lock",
  "lock_spin",
  "vmap_alloc",
  "page_alloc",
  "kmap_slot",
  "strategy",
  "entry",
  "user",
  "tlb_broadcast",
] as const;
export type CostCategory = (typeof COST_CATEGORIES)[number];

/** Numeric ids of the categories, for the hot path. */
export const Cat = idsOf(COST_CATEGORIES);

/** Event counters. The names are part of the result contract (`events.<name>`). */
export const EVENT_NAMES = [
  "accesses",
  "pkrs_writes",
  "pkrs_writes_skipped",
  "ipis",
  "shootdowns",
  "invlpg",
  "full_flushes",
  "tlb_misses",
  "stlb_hits",
  "pte_writes",
  "direct_map_splits",
  "direct_map_splits_1g",
  "direct_map_splits_2m",
  "pt_allocs",
  "vmap_purges",
  "faults",
  "context_switches",
  "migrations",
  "migrations_deferred",
  "lock_contended",
  "lock_sleeps",
  "syscalls",
  "interrupts",
  "user_faults",
  "mm_flushes",
  "user_full_flushes",
  "invlpgb",
  "forks",
  "execs",
  "exits",
] as const;
export type EventName = (typeof EVENT_NAMES)[number];
export const Ev = idsOf(EVENT_NAMES);

/** Each name's position in `names`: the numeric ids the hot path indexes arrays with. */
function idsOf<const Names extends readonly string[]>(
  names: Names,
): { readonly [K in Names[number]]: number } {
  return Object.fromEntries(names.map((name, index) => [name, index])) as {
    readonly [K in Names[number]]: number;
  };
}

/** Where a charge's cycles came from: a profile parameter, a strategy parameter, or the workload. */
export interface ParameterSource {
  readonly name: string;
  readonly owner: string;
  readonly parameter: CostParameter;
}

/** A successful write that landed on a page other than the one its writer meant. */
export interface UnintendedWrite {
  readonly cpu: number;
  readonly time: number;
  readonly pfn: number;
  readonly intendedPfn: number;
  readonly operation: string;
}

const NCAT = COST_CATEGORIES.length;
const NEV = EVENT_NAMES.length;

/**
 * The cost ledger: the only way costs enter results. Charges are recorded per CPU and
 * category, and per source parameter so that every cycle in a report traces to a source.
 * Charging also advances the charged CPU's simulated clock.
 */
export class Ledger {
  readonly cpus: number;
  /** cycles[cpu * categories + category] */
  readonly cycles: Float64Array;
  /** Simulated clock of each CPU, in cycles. */
  readonly clock: Float64Array;
  readonly events: Float64Array;
  readonly unintendedWrites: UnintendedWrite[] = [];
  readonly parameters: ParameterSource[] = [];
  /** Cycles charged per parameter id (parallel to `parameters`). */
  parameterCycles: Float64Array;
  /** Parameter values by id, for the hot path. */
  parameterValues: Float64Array;
  readonly #parameterIds = new Map<string, number>();
  /** While muted, charges go nowhere but clocks still advance (used for injected stray accesses). */
  muted = false;
  /** Cycles charged through `chargeDerived` (waits, workload compute), for the invariant check. */
  derivedCycles = 0;
  /** Charges made so far, and the most a run may make (stops a plugin that loops on primitives). */
  charges = 0;
  chargeBudget = Number.POSITIVE_INFINITY;

  constructor(cpus: number, profile: CostProfile) {
    this.cpus = cpus;
    this.cycles = new Float64Array(cpus * NCAT);
    this.clock = new Float64Array(cpus);
    this.events = new Float64Array(NEV);
    this.parameterCycles = new Float64Array(64);
    this.parameterValues = new Float64Array(64);
    for (const [name, parameter] of Object.entries(profile.parameters)) {
      this.registerParameter(name, `profile:${profile.name}`, parameter);
    }
  }

  /** Registers a named parameter (profile, strategy or workload) and returns its id. */
  registerParameter(name: string, owner: string, parameter: CostParameter): number {
    const key = `${owner}/${name}`;
    const existing = this.#parameterIds.get(key) ?? this.#parameterIds.get(name);
    if (existing !== undefined && this.parameters[existing].owner === owner) return existing;
    const id = this.parameters.length;
    if (id >= this.parameterValues.length) {
      const values = new Float64Array(id * 2);
      values.set(this.parameterValues);
      this.parameterValues = values;
      const cycles = new Float64Array(id * 2);
      cycles.set(this.parameterCycles);
      this.parameterCycles = cycles;
    }
    this.parameters.push({ name, owner, parameter });
    this.parameterValues[id] = parameter.value;
    this.#parameterIds.set(key, id);
    if (!this.#parameterIds.has(name)) this.#parameterIds.set(name, id);
    return id;
  }

  /** Id of a parameter by bare name (profile parameters) or `owner/name`. */
  parameterId(name: string): number {
    const id = this.#parameterIds.get(name);
    if (id === undefined) throw new Error(`ledger: no cost parameter named ${name}`);
    return id;
  }

  /** Value of a registered parameter. */
  value(id: number): number {
    return this.parameterValues[id];
  }

  /** Charges `count` times parameter `param` to `cpu` under `category`, advancing its clock. */
  charge(cpu: number, category: number, param: number, count = 1): void {
    if (++this.charges > this.chargeBudget) {
      throw new Error(
        `the run's budget of ${this.chargeBudget} charged model operations is exhausted (a loop?)`,
      );
    }
    const cycles = this.parameterValues[param] * count;
    this.clock[cpu] += cycles;
    if (this.muted) return;
    this.cycles[cpu * NCAT + category] += cycles;
    this.parameterCycles[param] += cycles;
  }

  /**
   * Charges cycles that are not a parameter but derived from simulated time (spinning on a
   * contended lock, waiting for shootdown acknowledgements) or given by the workload
   * (unrelated compute). The clock advances by the same amount.
   */
  chargeDerived(cpu: number, category: number, cycles: number): void {
    this.clock[cpu] += cycles;
    if (this.muted) return;
    this.cycles[cpu * NCAT + category] += cycles;
    this.derivedCycles += cycles;
  }

  /** Counts an event (not muted by stray injection: strays report their own outcomes). */
  count(event: number, n = 1): void {
    if (!this.muted) this.events[event] += n;
  }

  recordUnintendedWrite(write: UnintendedWrite): void {
    this.unintendedWrites.push(write);
  }

  /** Total cycles in one category, all CPUs. */
  categoryTotal(category: number): number {
    let sum = 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) sum += this.cycles[cpu * NCAT + category];
    return sum;
  }

  /** Total cycles charged, all categories and CPUs. */
  totalCycles(): number {
    let sum = 0;
    for (let i = 0; i < this.cycles.length; i++) sum += this.cycles[i];
    return sum;
  }

  /** Cycles per category, by name. */
  byCategory(): Record<CostCategory, number> {
    const out = {} as Record<CostCategory, number>;
    COST_CATEGORIES.forEach((name, index) => {
      out[name] = this.categoryTotal(index);
    });
    return out;
  }

  /** Event counts, by name. */
  eventCounts(): Record<EventName, number> {
    const out = {} as Record<EventName, number>;
    EVENT_NAMES.forEach((name, index) => {
      out[name] = this.events[index];
    });
    return out;
  }

  /** Cycles charged per source parameter (only those that were charged). */
  bySource(): { name: string; owner: string; cycles: number }[] {
    return this.parameters
      .map((source, id) => ({
        name: source.name,
        owner: source.owner,
        cycles: this.parameterCycles[id],
      }))
      .filter((row) => row.cycles > 0);
  }
}
