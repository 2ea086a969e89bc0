/**
 * The incremental trace parser: lines fed one at a time (parse.ts feeds it from a string
 * or a file stream), per-CPU state (sessions, system calls, the memmove → memcpy nesting),
 * the accesses appended to typed columns, and at the end the parsed trace with its
 * statistics.
 *
 * Robust by design: a line that does not parse, an event with a missing or malformed
 * argument, or a truncated last line is counted (with the first few examples and their
 * line numbers) and skipped, never fatal. `CPU:N [LOST M EVENTS]` markers and the
 * header's `entries-in-buffer/entries-written` count lost events.
 *
 * Sessions: a search marker (`btrfs_search_slot`, `btrfs_search_old_slot`,
 * `btrfs_search_forward`) starts a new session on its CPU; a transaction commit, a task
 * switch on that CPU or a lost-events marker also ends the current one (the calls that
 * follow, until the next search, form a session that is not a search's).
 *
 * @packageDocumentation
 */

import { emptyScannedLine, scanLine } from "./bytes.ts";
import { type CpuState, emptyCpu, sortedAccesses } from "./cpu-state.ts";
import {
  type BadLine,
  Column,
  type CpuAccesses,
  FLAG_CALL,
  FLAG_IN_SYSCALL,
  FLAG_SESSION,
  FLAG_SYSCALL,
  FLAG_WRITE,
  LENGTH_BUCKETS,
  PAGE_BYTES,
  type PhaseStats,
  type TraceBuffer,
  type TraceData,
} from "./data.ts";
import {
  ACCESSORS,
  type AccessorCall,
  accessorCall,
  SEARCH_MARKERS,
  SESSION_END_MARKERS,
  syscallEvent,
} from "./events.ts";
import { parseLine, phaseName, type TraceLine } from "./lines.ts";

const MAX_EXAMPLES = 10;

/** A copy of `text` that shares no storage with the (large) string it was sliced from. */
function detach(text: string): string {
  return Buffer.from(text, "utf16le").toString("utf16le");
}

/** Incremental trace parser: feed lines with `add`, then `finish`. */
export class TraceBuilder {
  private lines = 0;
  private events = 0;
  private bad = 0;
  private readonly badReasons: Record<string, number> = {};
  private readonly badExamples: BadLine[] = [];
  private readonly other: Record<string, number> = {};
  private lost = 0;
  private lostMarkers = 0;
  private inBuffer?: number;
  private written?: number;
  private readonly byAccessor: Record<string, number> = {};
  private readonly markers: Record<string, number> = {};
  private nested = 0;
  private readonly perSearch = new Column((n) => new Int32Array(n));
  private outside = 0;
  private readonly phases: PhaseStats[] = [];
  private phase: PhaseStats | undefined;

  private phaseAt(timestamp: number): PhaseStats {
    if (!this.phase) {
      this.phase = {
        name: "-",
        calls: 0,
        searches: 0,
        crossing: 0,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
      };
      this.phases.push(this.phase);
    }
    if (timestamp > this.phase.lastTimestamp) this.phase.lastTimestamp = timestamp;
    return this.phase;
  }
  private splits = 0;
  private readonly histogram = new Array<number>(LENGTH_BUCKETS.length + 1).fill(0);
  private lengthSum = 0;
  private crossing = 0;
  private readonly bufferIds = new Map<string, number>();
  private readonly buffers: TraceBuffer[] = [];
  private readonly starts = new Set<number>();
  private maxEnd = 0;
  private readonly cpus = new Map<number, CpuState>();
  private firstTime = Number.POSITIVE_INFINITY;
  private lastTime = Number.NEGATIVE_INFINITY;

  constructor(private readonly source = "(text)") {}

  private badLine(reason: string, text: string): void {
    this.bad++;
    this.badReasons[reason] = (this.badReasons[reason] ?? 0) + 1;
    if (this.badExamples.length < MAX_EXAMPLES) {
      this.badExamples.push({ line: this.lines, reason, text: detach(text.slice(0, 200)) });
    }
  }

  private cpu(cpu: number): CpuState {
    let state = this.cpus.get(cpu);
    if (!state) {
      state = emptyCpu();
      this.cpus.set(cpu, state);
    }
    return state;
  }

  private lastEb = "";
  private lastStart = -1;
  private lastId = -1;

  private bufferId(eb: string, start: number): number {
    // Consecutive calls mostly use the same buffer.
    if (eb === this.lastEb && start === this.lastStart) return this.lastId;
    const key = `${eb}:${start}`;
    let id = this.bufferIds.get(key);
    if (id === undefined) {
      id = this.buffers.length;
      // Kept strings are copied: a slice would keep the whole input chunk alive.
      const own = detach(eb);
      this.bufferIds.set(`${own}:${start}`, id);
      this.buffers.push({ eb: own, start });
      this.starts.add(start);
    }
    this.lastEb = eb;
    this.lastStart = start;
    this.lastId = id;
    return id;
  }

  /** The last line fed, held back until the next one shows it was complete. */
  private pending: string | undefined;

  /** Feeds one line (without its newline). */
  add(text: string): void {
    if (this.pending !== undefined) this.process(this.pending);
    this.pending = text;
  }

  private process(text: string): void {
    this.lines++;
    const line = parseLine(text);
    switch (line.kind) {
      case "blank":
        return;
      case "header":
        if (line.inBuffer !== undefined) {
          this.inBuffer = (this.inBuffer ?? 0) + line.inBuffer;
          this.written = (this.written ?? 0) + (line.written ?? 0);
        }
        return;
      case "lost": {
        this.lost += line.count;
        this.lostMarkers++;
        const state = this.cpu(line.cpu);
        this.endSession(state);
        return;
      }
      case "bad":
        this.badLine(line.reason, text);
        return;
      case "event":
        this.event(line, text);
        return;
    }
  }

  private endSession(state: CpuState): void {
    state.sessionPending = true;
    state.search = -1;
  }

  /**
   * Feeds one line held in `buf` [from, to) (without its newline or a carriage return):
   * through the byte-level fast path when it is an ordinary accessor call or search
   * marker (bytes.ts), else decoded and parsed as text. The same result either way.
   */
  addBytes(buf: Buffer, from: number, to: number): void {
    if (!scanLine(buf, from, to, this.scanned)) {
      this.add(buf.toString("latin1", from, to));
      return;
    }
    if (this.pending !== undefined) {
      this.process(this.pending);
      this.pending = undefined;
    }
    this.lines++;
    const scanned = this.scanned;
    const state = this.cpu(scanned.cpu);
    if (scanned.call !== undefined) {
      this.accessorCall(state, scanned.call, scanned.pid, scanned.timestamp);
    } else {
      this.events++;
      this.searchMarker(state, scanned.marker, scanned.pid, scanned.timestamp);
      this.time(state, scanned.timestamp);
    }
  }

  private readonly scanned = emptyScannedLine();

  private searchMarker(state: CpuState, event: string, pid: number, timestamp: number): void {
    this.markers[event] = (this.markers[event] ?? 0) + 1;
    state.sessionPending = true;
    state.search = this.perSearch.length;
    this.perSearch.push(0);
    state.lastPid = pid;
    this.phaseAt(timestamp).searches++;
  }

  private event(line: Extract<TraceLine, { kind: "event" }>, text: string): void {
    const info = ACCESSORS.get(line.event);
    const state = this.cpu(line.cpu);
    if (!info) {
      this.events++;
      if (SEARCH_MARKERS.includes(line.event)) {
        this.searchMarker(state, line.event, line.pid, line.timestamp);
      } else if (SESSION_END_MARKERS.includes(line.event)) {
        this.markers[line.event] = (this.markers[line.event] ?? 0) + 1;
        this.endSession(state);
      } else if (line.event === "tracing_mark_write" || line.event.startsWith("btrfs_")) {
        const body = line.body.trim();
        const name = line.event === "tracing_mark_write" ? `marker: ${body}` : line.event;
        this.markers[name] = (this.markers[name] ?? 0) + 1;
        const phase = line.event === "tracing_mark_write" ? phaseName(body) : undefined;
        if (phase !== undefined) {
          this.phase = {
            name: phase,
            calls: 0,
            searches: 0,
            crossing: 0,
            firstTimestamp: line.timestamp,
            lastTimestamp: line.timestamp,
          };
          this.phases.push(this.phase);
        }
      } else {
        this.other[line.event] = (this.other[line.event] ?? 0) + 1;
        const syscall = syscallEvent(line.event);
        if (syscall === "enter") {
          state.inSyscall = true;
          state.syscallPending = true;
        } else if (syscall === "exit") {
          state.inSyscall = false;
          state.syscallPending = false;
        }
      }
      this.time(state, line.timestamp);
      return;
    }
    // The body after the probe location `(func+0x0/0x.. [btrfs])`.
    const close = line.body.startsWith("(") ? line.body.indexOf(")") : -1;
    const args = close >= 0 ? line.body.slice(close + 1) : ` ${line.body}`;
    const call = accessorCall(line.event, info, args);
    if (typeof call === "string") {
      this.badLine(call, text);
      return;
    }
    this.accessorCall(state, call, line.pid, line.timestamp);
  }

  private accessorCall(state: CpuState, call: AccessorCall, pid: number, timestamp: number): void {
    const { info } = call;
    // info.name is the event's name, as the table's own (internalized) string.
    const event = info.name;
    if (call.moveKey !== undefined) {
      if (
        event === "memcpy_extent_buffer" &&
        state.lastEvent === "memmove_extent_buffer" &&
        state.lastArgs === call.moveKey &&
        state.lastPid === pid
      ) {
        this.nested++;
        state.lastEvent = event;
        this.events++;
        this.time(state, timestamp);
        return;
      }
      state.lastArgs = call.moveKey;
    }
    const accesses = call.accesses;
    const buffers = accesses.map((access) => this.bufferId(access.eb, access.start));
    const callLength = call.length;
    this.events++;
    this.time(state, timestamp);
    // Sessions: another task's call on this CPU ends the current one.
    if (state.lastPid !== pid) {
      if (state.search >= 0) this.splits++;
      if (state.lastPid >= 0) this.endSession(state);
      state.lastPid = pid;
    }
    state.lastEvent = event;
    if (info.shape !== "move") state.lastArgs = "";
    // A key lookup without hashing and interning the line's copy of the name.
    this.byAccessor[info.name] = (this.byAccessor[info.name] ?? 0) + 1;
    state.calls++;
    if (state.search >= 0) this.perSearch.data[state.search]++;
    else this.outside++;
    let bucket = 0;
    while (bucket < LENGTH_BUCKETS.length && callLength > LENGTH_BUCKETS[bucket]) bucket++;
    this.histogram[bucket]++;
    this.lengthSum += callLength;
    let crosses = false;
    for (let i = 0; i < accesses.length; i++) {
      const { offset, length, write } = accesses[i];
      const buffer = buffers[i];
      const end = offset + Math.max(1, length);
      if (Math.floor(offset / PAGE_BYTES) !== Math.floor((end - 1) / PAGE_BYTES)) crosses = true;
      if (end > this.maxEnd) this.maxEnd = end;
      let flags = write ? FLAG_WRITE : 0;
      if (i === 0) flags |= FLAG_CALL;
      if (state.inSyscall) flags |= FLAG_IN_SYSCALL;
      if (i === 0 && state.syscallPending) {
        flags |= FLAG_SYSCALL;
        state.syscallPending = false;
      }
      if (state.sessionPending) {
        flags |= FLAG_SESSION;
        state.sessionPending = false;
      }
      state.buffer.push(buffer);
      state.offset.push(offset);
      state.length.push(length);
      state.flags.push(flags);
      state.time.push(timestamp);
    }
    const phase = this.phaseAt(timestamp);
    phase.calls++;
    if (crosses) {
      this.crossing++;
      phase.crossing++;
    }
  }

  private time(state: CpuState, timestamp: number): void {
    if (timestamp < state.lastTime) state.outOfOrder++;
    else state.lastTime = timestamp;
    if (timestamp < this.firstTime) this.firstTime = timestamp;
    if (timestamp > this.lastTime) this.lastTime = timestamp;
  }

  /**
   * The parsed trace. `truncated`: the input did not end with a newline, so its last line
   * was cut short (a capture interrupted mid-write); it is counted as bad, not parsed.
   */
  finish(truncated = false): TraceData {
    if (this.pending !== undefined) {
      const last = this.pending;
      this.pending = undefined;
      if (truncated && last.trim() !== "") {
        this.lines++;
        this.badLine("truncated last line", last);
      } else {
        this.process(last);
      }
    }
    const cpus: CpuAccesses[] = [];
    let outOfOrder = 0;
    const callsByCpu: Record<string, number> = {};
    for (const cpu of [...this.cpus.keys()].sort((a, b) => a - b)) {
      const state = this.cpus.get(cpu)!;
      outOfOrder += state.outOfOrder;
      callsByCpu[String(cpu)] = state.calls;
      cpus.push(sortedAccesses(cpu, state));
    }
    const perSearch = Array.from(this.perSearch.trimmed()).sort((a, b) => a - b);
    const calls = Object.values(this.byAccessor).reduce((sum, n) => sum + n, 0);
    const inSearches = perSearch.reduce((sum, n) => sum + n, 0);
    const quantile = (q: number) =>
      perSearch.length === 0
        ? 0
        : perSearch[Math.min(perSearch.length - 1, Math.floor(q * perSearch.length))];
    const overwritten =
      this.inBuffer !== undefined && this.written !== undefined
        ? Math.max(0, this.written - this.inBuffer)
        : 0;
    return {
      source: this.source,
      cpus,
      buffers: this.buffers,
      stats: {
        lines: this.lines,
        events: this.events,
        badLines: this.bad,
        badReasons: this.badReasons,
        badExamples: this.badExamples,
        otherEvents: this.other,
        lostEvents: this.lost + overwritten,
        lostMarkers: this.lostMarkers,
        entriesInBuffer: this.inBuffer,
        entriesWritten: this.written,
        calls,
        callsByAccessor: sortedRecord(this.byAccessor),
        nestedCalls: this.nested,
        markers: sortedRecord(this.markers),
        searches: perSearch.length,
        callsPerSearch: {
          sessions: perSearch.length,
          mean: perSearch.length === 0 ? 0 : inSearches / perSearch.length,
          p50: quantile(0.5),
          p90: quantile(0.9),
          max: perSearch.length === 0 ? 0 : perSearch[perSearch.length - 1],
        },
        callsOutsideSearches: this.outside,
        sessionsSplitByTaskSwitch: this.splits,
        lengthHistogram: this.histogram,
        meanLength: calls === 0 ? 0 : this.lengthSum / calls,
        crossingCalls: this.crossing,
        crossingFraction: calls === 0 ? 0 : this.crossing / calls,
        distinctBuffers: this.buffers.length,
        distinctStarts: this.starts.size,
        pagesPerBuffer: Math.max(1, Math.ceil(this.maxEnd / PAGE_BYTES)),
        callsByCpu,
        phases: this.phases.filter((phase) => phase.name !== "-" || phase.calls > 0),
        outOfOrder,
        firstTimestamp: Number.isFinite(this.firstTime) ? this.firstTime : 0,
        lastTimestamp: Number.isFinite(this.lastTime) ? this.lastTime : 0,
      },
    };
  }
}

function sortedRecord(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(record).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
  );
}
