/**
 * The per-CPU state of a parse: the typed columns its accesses go into, the open session
 * and system call, the last accessor call (for the memmove → memcpy nesting), and, at the
 * end, its accesses in timestamp order.
 *
 * @packageDocumentation
 */
import { Column, type CpuAccesses } from "./data.ts";

export interface CpuState {
  readonly buffer: Column<Int32Array>;
  readonly offset: Column<Int32Array>;
  readonly length: Column<Int32Array>;
  readonly flags: Column<Uint8Array>;
  readonly time: Column<Float64Array>;
  /** Next access starts a session. */
  sessionPending: boolean;
  /** Index into callsPerSearch of the open search session, or -1. */
  search: number;
  lastPid: number;
  lastTime: number;
  outOfOrder: number;
  calls: number;
  /** The last accessor event, for nested memmove → memcpy detection. */
  lastEvent: string;
  lastArgs: string;
  /** Inside a traced system call, and whether its first call is still to come. */
  inSyscall: boolean;
  syscallPending: boolean;
}

export function emptyCpu(): CpuState {
  return {
    buffer: new Column((n) => new Int32Array(n)),
    offset: new Column((n) => new Int32Array(n)),
    length: new Column((n) => new Int32Array(n)),
    flags: new Column((n) => new Uint8Array(n)),
    time: new Column((n) => new Float64Array(n)),
    sessionPending: true,
    inSyscall: false,
    syscallPending: false,
    search: -1,
    lastPid: -1,
    lastTime: Number.NEGATIVE_INFINITY,
    outOfOrder: 0,
    calls: 0,
    lastEvent: "",
    lastArgs: "",
  };
}

/**
 * Exact-size arrays on shared memory: the columns' growth slack is left behind, and a
 * worker thread the trace is posted to shares them instead of receiving a copy.
 */
const sharedInts = (n: number) => new Int32Array(new SharedArrayBuffer(n * 4));
const sharedBytes = (n: number) => new Uint8Array(new SharedArrayBuffer(n));

/** The CPU's accesses, stably sorted by timestamp when some went backwards. */
export function sortedAccesses(cpu: number, state: CpuState): CpuAccesses {
  const n = state.buffer.length;
  // Identity, or whole calls sorted by time (a call's accesses share its timestamp and
  // stay together).
  let order: number[] | undefined;
  if (state.outOfOrder > 0) {
    const time = state.time.trimmed();
    order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => time[a] - time[b] || a - b);
  }
  const column = <T extends Int32Array | Uint8Array>(from: T, make: (n: number) => T): T => {
    const to = make(n);
    if (order === undefined) to.set(from.subarray(0, n));
    else for (let i = 0; i < n; i++) to[i] = from[order[i]];
    return to;
  };
  return {
    cpu,
    buffer: column(state.buffer.data, sharedInts),
    offset: column(state.offset.data, sharedInts),
    length: column(state.length.data, sharedInts),
    flags: column(state.flags.data, sharedBytes),
  };
}
