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

/** The CPU's accesses, stably sorted by timestamp when some went backwards. */
export function sortedAccesses(cpu: number, state: CpuState): CpuAccesses {
  const buffer = state.buffer.trimmed();
  const offset = state.offset.trimmed();
  const length = state.length.trimmed();
  const flags = state.flags.trimmed();
  if (state.outOfOrder === 0) return { cpu, buffer, offset, length, flags };
  const time = state.time.trimmed();
  // Sort whole calls (a call's accesses share its timestamp and stay together).
  const order = Array.from({ length: buffer.length }, (_, i) => i);
  order.sort((a, b) => time[a] - time[b] || a - b);
  const pick = <T extends Int32Array | Uint8Array>(from: T, make: (n: number) => T): T => {
    const to = make(from.length);
    for (let i = 0; i < order.length; i++) to[i] = from[order[i]];
    return to;
  };
  return {
    cpu,
    buffer: pick(buffer, (n) => new Int32Array(n)),
    offset: pick(offset, (n) => new Int32Array(n)),
    length: pick(length, (n) => new Int32Array(n)),
    flags: pick(flags, (n) => new Uint8Array(n)),
  };
}
