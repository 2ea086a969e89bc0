/**
 * What the conformance kit checks a strategy on and how it collects the outcome: the four
 * region shapes (access-disable and write-disable, physically contiguous and scattered),
 * the named checks, and the findings (violations, notes and counts per check, across
 * scenarios).
 *
 * @packageDocumentation
 */
import type { KeyMode, Scope } from "../api.ts";

export interface Scenario {
  readonly keyMode: KeyMode;
  readonly contiguous: boolean;
  /** Device memory (PMEM) that memremap_pages() maps, protected from the start. */
  readonly device?: boolean;
  readonly label: string;
}

export const SCENARIOS: readonly Scenario[] = [
  { keyMode: "access-disable", contiguous: true, label: "access-disable, contiguous" },
  { keyMode: "access-disable", contiguous: false, label: "access-disable, scattered" },
  { keyMode: "write-disable", contiguous: true, label: "write-disable, contiguous" },
  { keyMode: "write-disable", contiguous: false, label: "write-disable, scattered" },
  {
    keyMode: "access-disable",
    contiguous: true,
    device: true,
    label: "access-disable, device memory",
  },
];

/** Pages in the conformance region: enough for 16 nested mappings. */
export const CONFORMANCE_REGION_PAGES = 16;

export const CHECK_NAMES = {
  shape: "module shape and options",
  setup: "setup protects the region",
  local: "legitimate accesses never fault (local)",
  global: "legitimate accesses never fault (global)",
  longTerm: "legitimate accesses never fault (long-term)",
  restore: "protection is back after unmap",
  nesting: "nesting and LIFO unmap",
  contextSwitch: "state survives context switch",
  migration: "state survives migration",
  capacity: "limits answer unsupported, never throw",
  fault: "fault hook answers without throwing",
  churn: "page churn hooks",
  costs: "every cycle is charged by the model",
} as const;
export type CheckKey = keyof typeof CHECK_NAMES;

export const SCOPE_CHECK: Record<Scope, CheckKey> = {
  local: "local",
  global: "global",
  "long-term": "longTerm",
};

/** Collects violations and notes per check, across scenarios. */
export class Findings {
  readonly violations = new Map<CheckKey, string[]>();
  readonly notes = new Map<CheckKey, Set<string>>();
  readonly counts = new Map<CheckKey, number>();

  fail(check: CheckKey, message: string): void {
    const list = this.violations.get(check) ?? [];
    if (list.includes(message)) return;
    list.push(message);
    this.violations.set(check, list);
  }

  note(check: CheckKey, message: string): void {
    const set = this.notes.get(check) ?? new Set();
    set.add(message);
    this.notes.set(check, set);
  }

  tally(check: CheckKey, n = 1): void {
    this.counts.set(check, (this.counts.get(check) ?? 0) + n);
  }
}
