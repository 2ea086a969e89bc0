/**
 * Parser of ftrace text traces of the btrfs extent-buffer accessors, as
 * scripts/capture/capture.sh records them (kprobe events in the `pkslab` group; see
 * docs/traces.md), into a compact, per-CPU, typed-array form plus the trace's own
 * statistics.
 *
 * Line format (the `trace` file of tracefs, or `trace_pipe`):
 *
 *     TASK-PID [(TGID)] [CPU] [FLAGS] TIMESTAMP: EVENT: ARGS
 *
 * Robust by design: a line that does not parse, an event with a missing or malformed
 * argument, or a truncated last line is counted (with the first few examples and their
 * line numbers) and skipped, never fatal. `CPU:N [LOST M EVENTS]` markers and the
 * header's `entries-in-buffer/entries-written` count lost events.
 *
 * Each accessor call becomes one or two accesses (copy, memcpy and memmove read a source
 * range and write a destination range) of (buffer, byte offset, length) on the CPU that
 * made it. A buffer is one extent buffer instance: the pair (struct extent_buffer
 * pointer, eb->start), so a buffer freed and read again (after a cache drop) is a new
 * buffer, as its pages are new. Offsets include `offset_in_page(eb->start)`, as the
 * kernel's helpers compute them.
 *
 * Sessions: a search marker (`btrfs_search_slot`, `btrfs_search_old_slot`,
 * `btrfs_search_forward`) starts a new session on its CPU; a transaction commit, a task
 * switch on that CPU or a lost-events marker also ends the current one (the calls that
 * follow, until the next search, form a session that is not a search's).
 *
 * @packageDocumentation
 */
import { createReadStream } from "node:fs";

/** How an accessor's probe arguments describe its accesses. */
type AccessorShape =
  /** `off`, `len`: one access of the buffer. */
  | "range"
  /** `ptr` + `off`: one member of `bits`/8 bytes (btrfs_get_N, btrfs_set_N and their token forms). */
  | "member"
  /** `off` (destination), `src` (source), `len`: both in the same buffer. */
  | "move"
  /** `off` in this buffer, `src` in `srceb`/`srcstart`, `len`. */
  | "copy"
  /** the whole buffer from `srceb`/`srcstart`, `len` bytes. */
  | "copy-full"
  /** a header field at a fixed offset (`field`, `bytes`): the fsid and chunk-tree-uuid writers. */
  | "field";

interface AccessorInfo {
  readonly shape: AccessorShape;
  readonly write: boolean;
  /** Member size in bytes (member shape), or the field's size (field shape). */
  readonly bytes?: number;
  /** The field's offset in the buffer (field shape). */
  readonly field?: number;
}

/**
 * Offsets in 6.1's `struct btrfs_header` (fs/btrfs/ctree.h, packed): csum[BTRFS_CSUM_SIZE
 * 32], fsid[BTRFS_FSID_SIZE 16], bytenr (8), flags (8), chunk_tree_uuid[BTRFS_UUID_SIZE 16].
 * write_extent_buffer_fsid() and write_extent_buffer_chunk_tree_uuid() (fs/btrfs/
 * extent_io.c) memcpy 16 bytes at these offsets of the buffer's first page.
 */
const HEADER_FSID_OFFSET = 32;
const HEADER_CHUNK_TREE_UUID_OFFSET = 32 + 16 + 8 + 8;
const HEADER_UUID_BYTES = 16;

function accessorTable(): Map<string, AccessorInfo> {
  const table = new Map<string, AccessorInfo>([
    ["read_extent_buffer", { shape: "range", write: false }],
    ["read_extent_buffer_to_user_nofault", { shape: "range", write: false }],
    ["memcmp_extent_buffer", { shape: "range", write: false }],
    ["write_extent_buffer", { shape: "range", write: true }],
    ["memzero_extent_buffer", { shape: "range", write: true }],
    ["memcpy_extent_buffer", { shape: "move", write: true }],
    ["memmove_extent_buffer", { shape: "move", write: true }],
    ["copy_extent_buffer", { shape: "copy", write: true }],
    ["copy_extent_buffer_full", { shape: "copy-full", write: true }],
    [
      "write_extent_buffer_fsid",
      { shape: "field", write: true, field: HEADER_FSID_OFFSET, bytes: HEADER_UUID_BYTES },
    ],
    [
      "write_extent_buffer_chunk_tree_uuid",
      {
        shape: "field",
        write: true,
        field: HEADER_CHUNK_TREE_UUID_OFFSET,
        bytes: HEADER_UUID_BYTES,
      },
    ],
  ]);
  for (const bits of [8, 16, 32, 64]) {
    const bytes = bits / 8;
    table.set(`btrfs_get_${bits}`, { shape: "member", write: false, bytes });
    table.set(`btrfs_get_token_${bits}`, { shape: "member", write: false, bytes });
    table.set(`btrfs_set_${bits}`, { shape: "member", write: true, bytes });
    table.set(`btrfs_set_token_${bits}`, { shape: "member", write: true, bytes });
  }
  return table;
}

/** The accessors the replay understands, by event name. */
export const ACCESSORS: ReadonlyMap<string, AccessorInfo> = accessorTable();
/** Events that start a search session. */
export const SEARCH_MARKERS: readonly string[] = [
  "btrfs_search_slot",
  "btrfs_search_old_slot",
  "btrfs_search_forward",
];
/** Events that end the current session without starting a search. */
export const SESSION_END_MARKERS: readonly string[] = ["btrfs_commit_transaction"];

export const PAGE_BYTES = 4096;

/** Upper bounds of the access-length histogram buckets, in bytes (the last is open). */
export const LENGTH_BUCKETS: readonly number[] = [
  1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384,
];

/** One parsed line. */
export type TraceLine =
  | {
      readonly kind: "event";
      readonly task: string;
      readonly pid: number;
      readonly cpu: number;
      readonly timestamp: number;
      readonly event: string;
      /** Text after `EVENT: `. */
      readonly body: string;
    }
  | { readonly kind: "lost"; readonly cpu: number; readonly count: number }
  | { readonly kind: "header"; readonly inBuffer?: number; readonly written?: number }
  | { readonly kind: "blank" }
  | { readonly kind: "bad"; readonly reason: string };

// TASK-PID, optional (TGID), [CPU], optional flags, TIMESTAMP: EVENT: BODY. The task name
// may hold spaces and dashes; the PID is the last dash-separated number before the CPU.
const EVENT_LINE =
  /^\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:[^\s:]+\s+)?(\d+\.\d+):\s+([A-Za-z_][\w.]*):\s?(.*)$/;
// A syscall tracepoint (events/syscalls): `sys_close(fd: b)` on entry, `sys_write -> 0x2`
// on exit, with no colon after the event's name.
const SYSCALL_LINE =
  /^\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:[^\s:]+\s+)?(\d+\.\d+):\s+(sys_\w+)(\(.*\)|\s+->\s+\S+)\s*$/;
const LOST_LINE = /^CPU:(\d+) \[LOST (\d+) EVENTS\]\s*$/;
const ENTRIES_LINE = /entries-in-buffer\/entries-written:\s*(\d+)\/(\d+)/;

/** Parses one line of ftrace text output. Never throws. */
export function parseLine(line: string): TraceLine {
  if (line.trim() === "") return { kind: "blank" };
  if (line.startsWith("#")) {
    const entries = ENTRIES_LINE.exec(line);
    if (entries) {
      return { kind: "header", inBuffer: Number(entries[1]), written: Number(entries[2]) };
    }
    return { kind: "header" };
  }
  const lost = LOST_LINE.exec(line);
  if (lost) return { kind: "lost", cpu: Number(lost[1]), count: Number(lost[2]) };
  const match = EVENT_LINE.exec(line) ?? SYSCALL_LINE.exec(line);
  if (!match) return { kind: "bad", reason: "not an ftrace event line" };
  const timestamp = Number(match[4]);
  const cpu = Number(match[3]);
  if (!Number.isFinite(timestamp) || cpu > 8191) return { kind: "bad", reason: "bad CPU or time" };
  return {
    kind: "event",
    task: match[1],
    pid: Number(match[2]),
    cpu,
    timestamp,
    event: match[5],
    body: match[6],
  };
}

/**
 * The `name=value` arguments of a kprobe event body, after the `(func+0x0/0x.. [mod])`
 * location. Values are returned as text; a token without `=` is ignored.
 */
export function parseArgs(body: string): Map<string, string> {
  const args = new Map<string, string>();
  let text = body;
  if (text.startsWith("(")) {
    const close = text.indexOf(")");
    text = close < 0 ? "" : text.slice(close + 1);
  }
  for (const token of text.split(" ")) {
    const eq = token.indexOf("=");
    if (eq > 0) args.set(token.slice(0, eq), token.slice(eq + 1));
  }
  return args;
}

/** The text of argument `name` in an event body (` name=value`), or undefined. */
function argText(body: string, name: string): string | undefined {
  const key = ` ${name}=`;
  const at = body.indexOf(key);
  if (at < 0) return undefined;
  const from = at + key.length;
  const end = body.indexOf(" ", from);
  return end < 0 ? body.slice(from) : body.slice(from, end);
}

const NUMBER = /^(0x[0-9a-fA-F]+|\d+)$/;

/** Unsigned decimal or 0x-hex argument as a number; undefined if malformed or too big. */
function numberArg(body: string, name: string): number | undefined {
  const text = argText(body, name);
  if (text === undefined || !NUMBER.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Growable typed array. */
class Column<T extends Int32Array | Uint8Array | Float64Array> {
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

/** Whether an event is a system-call entry or exit tracepoint. */
function syscallEvent(event: string): "enter" | "exit" | undefined {
  if (event === "sys_enter" || event.startsWith("sys_enter_")) return "enter";
  if (event === "sys_exit" || event.startsWith("sys_exit_")) return "exit";
  return undefined;
}

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

/** Prefix of the capture's phase markers (scripts/capture/guest-init.sh). */
export const PHASE_MARKER = "pkslab: phase ";

/**
 * A phase marker in a trace_marker line: the capture's `pkslab: phase NAME`, or any tool's
 * `phase NAME`, `phase: NAME` or `phase=NAME`, after an optional `TOOL: ` prefix.
 */
const GENERIC_PHASE = /^(?:[\w.-]+:\s*)?phase(?:\s*[:=]\s*|\s+)(\S.*)$/i;

/** The phase a trace_marker line's text starts, or undefined. */
export function phaseName(body: string): string | undefined {
  if (body.startsWith(PHASE_MARKER)) return body.slice(PHASE_MARKER.length).trim() || undefined;
  return GENERIC_PHASE.exec(body)?.[1].trim();
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

interface CpuState {
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

function emptyCpu(): CpuState {
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

  private event(line: Extract<TraceLine, { kind: "event" }>, text: string): void {
    const info = ACCESSORS.get(line.event);
    const state = this.cpu(line.cpu);
    if (!info) {
      this.events++;
      if (SEARCH_MARKERS.includes(line.event)) {
        this.markers[line.event] = (this.markers[line.event] ?? 0) + 1;
        state.sessionPending = true;
        state.search = this.perSearch.length;
        this.perSearch.push(0);
        state.lastPid = line.pid;
        this.phaseAt(line.timestamp).searches++;
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
    const eb = argText(args, "eb");
    const start = numberArg(args, "start");
    if (eb === undefined || start === undefined) {
      this.badLine(`${line.event}: missing eb or start`, text);
      return;
    }
    const base = start % PAGE_BYTES;
    // The accesses of this call: [buffer, offset, length, write].
    let accesses: [number, number, number, boolean][];
    let callLength: number;
    switch (info.shape) {
      case "range": {
        const off = numberArg(args, "off");
        const len = numberArg(args, "len");
        if (off === undefined || len === undefined) {
          this.badLine(`${line.event}: missing off or len`, text);
          return;
        }
        accesses = [[this.bufferId(eb, start), base + off, len, info.write]];
        callLength = len;
        break;
      }
      case "member": {
        const ptr = numberArg(args, "ptr");
        const off = numberArg(args, "off");
        if (ptr === undefined || off === undefined) {
          this.badLine(`${line.event}: missing ptr or off`, text);
          return;
        }
        const bytes = info.bytes ?? 1;
        accesses = [[this.bufferId(eb, start), base + ptr + off, bytes, info.write]];
        callLength = bytes;
        break;
      }
      case "move": {
        const off = numberArg(args, "off");
        const src = numberArg(args, "src");
        const len = numberArg(args, "len");
        if (off === undefined || src === undefined || len === undefined) {
          this.badLine(`${line.event}: missing off, src or len`, text);
          return;
        }
        // 6.1 memmove_extent_buffer() calls memcpy_extent_buffer() with the same arguments
        // when dst < src: one call, traced twice.
        const argText = `${eb} ${start} ${off} ${src} ${len}`;
        if (
          line.event === "memcpy_extent_buffer" &&
          state.lastEvent === "memmove_extent_buffer" &&
          state.lastArgs === argText &&
          state.lastPid === line.pid
        ) {
          this.nested++;
          state.lastEvent = line.event;
          this.events++;
          this.time(state, line.timestamp);
          return;
        }
        state.lastArgs = argText;
        const id = this.bufferId(eb, start);
        accesses = [
          [id, base + src, len, false],
          [id, base + off, len, true],
        ];
        callLength = len;
        break;
      }
      case "field": {
        const bytes = info.bytes ?? 1;
        accesses = [[this.bufferId(eb, start), base + (info.field ?? 0), bytes, info.write]];
        callLength = bytes;
        break;
      }
      case "copy":
      case "copy-full": {
        const srcEb = argText(args, "srceb");
        const srcStart = numberArg(args, "srcstart");
        const len = numberArg(args, "len");
        const off = info.shape === "copy" ? numberArg(args, "off") : 0;
        const src = info.shape === "copy" ? numberArg(args, "src") : 0;
        if (
          srcEb === undefined ||
          srcStart === undefined ||
          len === undefined ||
          off === undefined ||
          src === undefined
        ) {
          this.badLine(`${line.event}: missing srceb, srcstart, off, src or len`, text);
          return;
        }
        accesses = [
          [this.bufferId(srcEb, srcStart), (srcStart % PAGE_BYTES) + src, len, false],
          [this.bufferId(eb, start), base + off, len, true],
        ];
        callLength = len;
        break;
      }
    }
    this.events++;
    this.time(state, line.timestamp);
    // Sessions: another task's call on this CPU ends the current one.
    if (state.lastPid !== line.pid) {
      if (state.search >= 0) this.splits++;
      if (state.lastPid >= 0) this.endSession(state);
      state.lastPid = line.pid;
    }
    state.lastEvent = line.event;
    if (info.shape !== "move") state.lastArgs = "";
    this.byAccessor[line.event] = (this.byAccessor[line.event] ?? 0) + 1;
    state.calls++;
    if (state.search >= 0) this.perSearch.data[state.search]++;
    else this.outside++;
    let bucket = LENGTH_BUCKETS.findIndex((limit) => callLength <= limit);
    if (bucket < 0) bucket = LENGTH_BUCKETS.length;
    this.histogram[bucket]++;
    this.lengthSum += callLength;
    let crosses = false;
    for (let i = 0; i < accesses.length; i++) {
      const [buffer, offset, length, write] = accesses[i];
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
      state.time.push(line.timestamp);
    }
    const phase = this.phaseAt(line.timestamp);
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

/** The CPU's accesses, stably sorted by timestamp when some went backwards. */
function sortedAccesses(cpu: number, state: CpuState): CpuAccesses {
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

/** Parses trace text held in memory (tests, small excerpts). */
export function parseTraceText(text: string, source = "(text)"): TraceData {
  const builder = new TraceBuilder(source);
  const lines = text.split("\n");
  const truncated = lines[lines.length - 1] !== "";
  if (!truncated) lines.pop();
  for (const line of lines) builder.add(line.endsWith("\r") ? line.slice(0, -1) : line);
  return builder.finish(truncated);
}

/** Streams a trace file line by line (the text is never held in memory as a whole). */
export async function readTraceFile(path: string): Promise<TraceData> {
  const builder = new TraceBuilder(path);
  // ftrace text is ASCII (task names aside): latin1 decodes byte for byte, fast.
  const input = createReadStream(path, { encoding: "latin1", highWaterMark: 1 << 20 });
  let carry = "";
  for await (const chunk of input as AsyncIterable<string>) {
    const text = carry === "" ? chunk : carry + chunk;
    let from = 0;
    for (let end = text.indexOf("\n", from); end >= 0; end = text.indexOf("\n", from)) {
      const stop = end > from && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      builder.add(text.slice(from, stop));
      from = end + 1;
    }
    carry = text.slice(from);
  }
  // Text after the last newline is a line cut short.
  if (carry !== "") builder.add(carry);
  return builder.finish(carry !== "");
}
