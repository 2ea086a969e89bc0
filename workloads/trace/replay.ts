/**
 * trace-replay: a workload made from a real kernel trace of the btrfs extent-buffer
 * accessors (parse.ts, captured by scripts/capture/capture.sh; see
 * docs/traces.md).
 *
 * Each traced accessor call becomes accesses of its offset and length on its extent
 * buffer's pages, on the CPU that made it, in timestamp order: thread i replays trace CPU
 * i (and starts on CPU i). Every distinct buffer instance gets `pagesPerBuffer` (4 for a
 * 16 KiB node) consecutive region pages, in order of first appearance. One `complete`
 * per accessor call, so cycles/op and PKRS writes/op are per call under both mappings.
 *
 * How the caller maps the buffer is the `mapping` parameter (the design question):
 * - `per-call`: each call maps the pages it touches, as a kmap-per-accessor conversion
 *   would. A strategy that maps ranges (`mapsRanges`) maps each buffer's touched pages in
 *   one call; a one-page API maps each touched page separately. A copy's source and
 *   destination are mapped together (nested), and unmapped in reverse order.
 * - `per-search`: the whole buffer is mapped once per session (from one
 *   `btrfs_search_slot` to the next on that CPU; see builder.ts for the other session
 *   boundaries), on its first use in the session, and stays mapped until the session
 *   ends, as a range API would allow. At most `held_buffers` buffers are held at once
 *   (the kmap_local slot budget: 15 slots hold three 4-page buffers): a further buffer
 *   first unmaps the most recently mapped one (the LIFO rule). The mapping intent is
 *   `write` when the session writes that buffer.
 *
 * System calls the trace records (raw_syscalls:sys_enter/sys_exit or the per-syscall
 * tracepoints) become kernel-entry/kernel-exit operations around the calls made inside
 * them (issue 18), so each pays its entry and exit; calls from kernel threads stay outside.
 * Nothing else of the kernel's work is replayed: `call_cycles` of compute per call (0 by
 * default) stands for the helper's own work, which the trace does not time.
 */
import type { Intent } from "../../core/contract/strategy.ts";
import { defineOptions, defineWorkload, type Operation, type WorkloadModule } from "../api.ts";
import * as spec from "../common/params.ts";
import { handleOf } from "../common/streams.ts";
import { type Call, type CallSite, perCall } from "./calls.ts";
import type { CpuAccesses, TraceData } from "./data.ts";
import { FLAG_CALL, FLAG_IN_SYSCALL, FLAG_SESSION, FLAG_SYSCALL, FLAG_WRITE } from "./data.ts";

export const REPLAY_MAPPINGS = ["per-call", "per-search"] as const;
export type ReplayMapping = (typeof REPLAY_MAPPINGS)[number];

/** Parameters of the replay workload. */
export const REPLAY_PARAMS = defineOptions({
  mapping: {
    default: "per-call",
    unit: "-",
    description:
      "per-call maps the pages each accessor call touches (kmap-per-accessor); per-search maps each buffer once per search session (range API).",
    choices: REPLAY_MAPPINGS,
  },
  held_buffers: {
    default: 3,
    unit: "buffers",
    description:
      "per-search: buffers held mapped at once per CPU (15 kmap_local slots hold three 4-page buffers); a further one replaces the last mapped.",
    min: 1,
    max: 64,
  },
  call_cycles: {
    default: 0,
    unit: "cycles",
    description: "Compute charged per accessor call for the helper's own work (not in the trace).",
    min: 0,
    max: 1_000_000,
  },
  ...spec.strayParams({ every: 0 }),
});

/** Accesses [start, end) of one session: for each buffer, whether the session writes it. */
function sessionWrites(cpu: CpuAccesses, start: number, end: number): Map<number, boolean> {
  const writes = new Map<number, boolean>();
  for (let i = start; i < end; i++) {
    const buffer = cpu.buffer[i];
    if ((cpu.flags[i] & FLAG_WRITE) !== 0) writes.set(buffer, true);
    else if (!writes.has(buffer)) writes.set(buffer, false);
  }
  return writes;
}

/** The accesses of a CPU the trace has no events of. */
const NO_ACCESSES: CpuAccesses = {
  cpu: -1,
  buffer: new Int32Array(0),
  offset: new Int32Array(0),
  length: new Int32Array(0),
  flags: new Uint8Array(0),
};

/**
 * One traced CPU's stream. An iterator of its own rather than a generator: it builds one
 * accessor call's operations at a time into a buffer and hands them out with one reused
 * result object, so a replayed operation costs neither a generator resume nor an
 * iterator-result allocation. The operations and their order are those of building the
 * stream call by call (the handles are this stream's own, so building a call's operations
 * before they are handed out changes nothing).
 */
class ReplayStream implements Iterator<Operation>, IterableIterator<Operation> {
  /** The traced CPU's accesses (none for a thread whose CPU the trace never saw). */
  readonly #cpu: CpuAccesses;
  readonly #mapping: ReplayMapping;
  readonly #pagesPerBuffer: number;
  readonly #heldMax: number;
  readonly #callCycles: number;
  readonly #nextHandle: () => number;
  readonly #bufferPage: (buffer: number) => number;
  /** per-search state: the held buffers (a stack) and their handles. */
  readonly #held: { buffer: number; handle: number }[] = [];
  #writes = new Map<number, boolean>();
  #inSyscall = false;
  /** The next access index of the trace CPU to build a call from. */
  #index = 0;
  #ended = false;
  /** The operations built and not yet handed out: ops[next..). */
  readonly #ops: Operation[] = [];
  /** perCall's view of this stream. */
  readonly #callSite: CallSite;
  #next = 0;
  readonly #result: IteratorResult<Operation> = { done: false, value: undefined as never };

  constructor(
    cpu: CpuAccesses | undefined,
    mapping: ReplayMapping,
    pagesPerBuffer: number,
    mapsRanges: boolean,
    heldMax: number,
    callCycles: number,
    nextHandle: () => number,
  ) {
    this.#cpu = cpu ?? NO_ACCESSES;
    this.#mapping = mapping;
    this.#pagesPerBuffer = pagesPerBuffer;
    this.#heldMax = heldMax;
    this.#callCycles = callCycles;
    this.#nextHandle = nextHandle;
    this.#bufferPage = (buffer: number) => buffer * pagesPerBuffer;
    this.#callSite = { cpu: this.#cpu, pagesPerBuffer, mapsRanges, nextHandle, out: this.#ops };
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Operation> {
    const result = this.#result;
    if (this.#next === this.#ops.length) {
      // Emptied only now and then: truncating an array is a runtime call, and a call has
      // a handful of operations.
      if (this.#next >= 1024) {
        this.#ops.length = 0;
        this.#next = 0;
      }
      if (!this.#ended) this.#build();
      if (this.#next === this.#ops.length) {
        result.done = true;
        result.value = undefined as never;
        return result;
      }
    }
    result.value = this.#ops[this.#next++];
    return result;
  }

  /** The next call's operations (or, after the last call, the stream's end) into ops. */
  #build(): void {
    const cpu = this.#cpu;
    const out = this.#ops;
    const held = this.#held;
    const n = cpu.buffer.length;
    const i = this.#index;
    if (i >= n) {
      while (held.length > 0) out.push({ kind: "unmap", handle: held.pop()!.handle });
      if (this.#inSyscall) out.push({ kind: "kernel-exit" });
      this.#ended = true;
      return;
    }
    // The call starting at i.
    let end = i + 1;
    while (end < n && (cpu.flags[end] & FLAG_CALL) === 0) end++;
    const call: Call = { first: i, end };
    // System calls the trace records (sys_enter/sys_exit): their entry and exit, so that
    // a call made from a system call pays it; kernel-thread calls stay outside.
    const flags = cpu.flags[i];
    if (this.#inSyscall && ((flags & FLAG_IN_SYSCALL) === 0 || (flags & FLAG_SYSCALL) !== 0)) {
      out.push({ kind: "kernel-exit" });
      this.#inSyscall = false;
    }
    if (!this.#inSyscall && (flags & FLAG_IN_SYSCALL) !== 0) {
      out.push({ kind: "kernel-entry", via: "syscall" });
      this.#inSyscall = true;
    }
    if (this.#callCycles > 0) out.push({ kind: "compute", cycles: this.#callCycles, touches: 0 });
    if (this.#mapping === "per-search") {
      if ((flags & FLAG_SESSION) !== 0) {
        while (held.length > 0) out.push({ kind: "unmap", handle: held.pop()!.handle });
        let sessionEnd = end;
        while (sessionEnd < n && (cpu.flags[sessionEnd] & FLAG_SESSION) === 0) sessionEnd++;
        this.#writes = sessionWrites(cpu, i, sessionEnd);
      }
      for (let a = call.first; a < call.end; a++) {
        const buffer = cpu.buffer[a];
        let entry = held.find((h) => h.buffer === buffer);
        if (!entry) {
          if (held.length >= this.#heldMax) out.push({ kind: "unmap", handle: held.pop()!.handle });
          entry = { buffer, handle: this.#nextHandle() };
          held.push(entry);
          const intent: Intent = this.#writes.get(buffer) ? "write" : "read";
          out.push({
            kind: "map",
            handle: entry.handle,
            page: this.#bufferPage(buffer),
            count: this.#pagesPerBuffer,
            intent,
            scope: "local",
          });
        }
        out.push({
          kind: "access",
          handle: entry.handle,
          offset: cpu.offset[a],
          length: cpu.length[a],
          write: (cpu.flags[a] & FLAG_WRITE) !== 0,
        });
      }
    } else {
      perCall(this.#callSite, call);
    }
    out.push({ kind: "complete" });
    this.#index = end;
  }
}

/** Threads of a replay: one per traced CPU number, 0 to the highest. */
export function traceThreads(trace: TraceData): number {
  let highest = 0;
  for (const cpu of trace.cpus) highest = Math.max(highest, cpu.cpu);
  return highest + 1;
}

/** The replay workload of a parsed trace. */
export function traceWorkload(trace: TraceData): WorkloadModule {
  const byCpu = new Map(trace.cpus.map((cpu) => [cpu.cpu, cpu]));
  const pagesPerBuffer = trace.stats.pagesPerBuffer;
  const threads = traceThreads(trace);
  return defineWorkload({
    name: "trace-replay",
    version: "1.0.0",
    summary: `Replay of a real btrfs extent-buffer accessor trace (${trace.stats.calls} calls)`,
    citation:
      "Debian linux-image-6.1 traced with kprobe events on fs/btrfs/extent_io.c and struct-funcs.c accessors (scripts/capture/capture.sh, docs/traces.md)",
    params: REPLAY_PARAMS,
    region: () => ({
      pages: Math.max(1, trace.buffers.length * pagesPerBuffer),
      keyMode: "access-disable",
      contiguous: true,
    }),
    threads: () => threads,
    generate({ thread, threads: count, params, strategyMapsRanges }): Iterable<Operation> {
      let next = 0;
      const nextHandle = () => handleOf(thread, count, next++);
      return new ReplayStream(
        byCpu.get(thread),
        params.mapping,
        pagesPerBuffer,
        strategyMapsRanges,
        params.held_buffers,
        params.call_cycles,
        nextHandle,
      );
    },
  });
}
