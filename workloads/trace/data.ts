/**
 * The typed trace buffers: what a parse produces. Per CPU, the accesses as parallel typed
 * arrays (buffer, offset, length, flags) in timestamp order; the distinct buffers; the
 * trace's own statistics. Also the growable column the parser fills them with.
 *
 * @packageDocumentation
 */

export const PAGE_BYTES = 4096;

/** Upper bounds of the access-length histogram buckets, in bytes (the last is open). */
export const LENGTH_BUCKETS: readonly number[] = [
  1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384,
];

/** Growable typed array. */
export class Column<T extends Int32Array | Uint8Array | Float64Array> {
  data: T;
  length = 0;
  constructor(private readonly make: (size: number) => T) {
    this.data = make(1024);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  trimmed(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/** Access flags. */
export const FLAG_WRITE = 1;
/** First access of an accessor call (a copy's second access has it clear). */
export const FLAG_CALL = 2;
/** First access of a session on its CPU. */
export const FLAG_SESSION = 4;
/** First access of the first call inside a system call entered since the previous call (raw_syscalls:sys_enter or syscalls:sys_enter_*). */
export const FLAG_SYSCALL = 8;
/** The call was made inside a traced system call (between sys_enter and sys_exit on its CPU). */
export const FLAG_IN_SYSCALL = 16;

/** The accesses of one CPU, in timestamp order, as parallel typed arrays. */
export interface CpuAccesses {
  readonly cpu: number;
  /** Buffer index (into TraceData.buffers). */
  readonly buffer: Int32Array;
  /** Byte offset in the buffer's pages (offset_in_page(eb->start) + the helper's offset). */
  readonly offset: Int32Array;
  readonly length: Int32Array;
  readonly flags: Uint8Array;
}

/** One distinct extent buffer instance. */
export interface TraceBuffer {
  /** struct extent_buffer address, as traced (hex). */
  readonly eb: string;
  /** eb->start, the logical address. */
  readonly start: number;
}

/** A bad line, for the report. */
export interface BadLine {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

/** Distribution summary of a count per session. */
export interface CountSummary {
  readonly sessions: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly max: number;
}

/** The statistics of one workload phase. */
export interface PhaseStats {
  readonly name: string;
  calls: number;
  searches: number;
  crossing: number;
  firstTimestamp: number;
  lastTimestamp: number;
}

/** The trace's own statistics. */
export interface TraceStats {
  readonly lines: number;
  readonly events: number;
  readonly badLines: number;
  /** Bad lines by reason. */
  readonly badReasons: Readonly<Record<string, number>>;
  /** Up to 10 bad lines, first first. */
  readonly badExamples: readonly BadLine[];
  /** Events of other kinds (neither accessor nor marker), by name. */
  readonly otherEvents: Readonly<Record<string, number>>;
  /** Lost events: sum of `[LOST N EVENTS]` markers plus entries-written − entries-in-buffer. */
  readonly lostEvents: number;
  readonly lostMarkers: number;
  readonly entriesInBuffer?: number;
  readonly entriesWritten?: number;
  /** Accessor calls, total and by accessor. */
  readonly calls: number;
  readonly callsByAccessor: Readonly<Record<string, number>>;
  /** memcpy_extent_buffer calls made by memmove_extent_buffer (same arguments, not replayed twice). */
  readonly nestedCalls: number;
  /** Marker events by name (searches, commits, fsync, trace_marker phases). */
  readonly markers: Readonly<Record<string, number>>;
  readonly searches: number;
  /** Calls in search sessions, per search (a search with no call counts 0). */
  readonly callsPerSearch: CountSummary;
  /** Calls made before any search on their CPU, or after a commit or task switch. */
  readonly callsOutsideSearches: number;
  /** Search sessions cut short by another task's call on the same CPU. */
  readonly sessionsSplitByTaskSwitch: number;
  /** Call lengths (bytes): counts per LENGTH_BUCKETS bucket, plus one open bucket. */
  readonly lengthHistogram: readonly number[];
  readonly meanLength: number;
  /** Calls whose range (either range of a copy) crosses a 4 KiB page boundary. */
  readonly crossingCalls: number;
  readonly crossingFraction: number;
  /** Distinct buffers: instances (pointer, start) and logical addresses. */
  readonly distinctBuffers: number;
  readonly distinctStarts: number;
  /** Pages a buffer spans (from the largest offset + length seen, at least 1). */
  readonly pagesPerBuffer: number;
  /** Calls per CPU, by CPU number. */
  readonly callsByCpu: Readonly<Record<string, number>>;
  /**
   * Per workload phase (the capture's `pkslab: phase NAME` trace_marker lines, in order of
   * appearance; calls before the first marker count under "-"): calls, searches, calls
   * crossing a page boundary, and the phase's span in trace time (seconds).
   */
  readonly phases: readonly PhaseStats[];
  /** Events whose timestamp went backwards on their CPU (then sorted into order). */
  readonly outOfOrder: number;
  readonly firstTimestamp: number;
  readonly lastTimestamp: number;
}

/** A parsed trace: per-CPU accesses and the statistics. */
export interface TraceData {
  readonly source: string;
  readonly cpus: readonly CpuAccesses[];
  readonly buffers: readonly TraceBuffer[];
  readonly stats: TraceStats;
}
