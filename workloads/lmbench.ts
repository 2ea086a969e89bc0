/**
 * lmbench: the LMbench latency tests a PKS page-table compartment is measured with,
 * expressed with the kernel-entry and process-lifetime operations. Page-table pages are
 * the protected region (write-disable, physically contiguous like pagetable-protect's
 * grouped 2 MiB cache), so under a protecting strategy every PTE write of the fault, fork,
 * exec and exit paths runs inside that strategy's write window.
 *
 * `test` chooses the LMbench program each operation follows:
 * - `page-fault` (lat_pagefault): touch one not-yet-mapped page of a mapped file. 6.1:
 *   exc_page_fault -> do_user_addr_fault -> handle_mm_fault -> do_read_fault ->
 *   do_fault_around -> filemap_map_pages installs up to fault_around_bytes / PAGE_SIZE
 *   (16) PTEs of cached pages in one PTE table (a new table on the first touch of its
 *   2 MiB), then the exception returns. When every window of the file has been touched
 *   the mapping is torn down (munmap: zap_pte_range + flush) and mapped again.
 * - `fork-exit` (lat_proc fork): fork(), the child exits at once, the parent waits.
 *   6.1: copy_process -> dup_mmap -> copy_page_range copies the anonymous PTEs per table
 *   (copy_pte_range, write-protecting the parent's for COW), flush_tlb_mm(parent); the
 *   child's exit_mmap zaps and frees its tables; the parent's next writes take COW faults.
 * - `fork-exec` (lat_proc exec): as fork-exit, but the child execve()s a small program
 *   (exec_mmap releases the forked copy, setup_arg_pages builds the stack's table), which
 *   faults its pages in, runs and exits.
 * - `syscall` (lat_syscall null): getppid(): entry, a trivial handler, exit.
 * - `shell` (lat_proc shell): fork, the child execs /bin/sh, which execs the program
 *   (sh -c with one simple command execs it in place), faults, runs and exits.
 *
 * The per-call kernel work outside the modelled mechanisms (copy_process, do_exit,
 * wait4, the handler's VMA and page-cache lookups) is a parameter of the workload with no
 * published figure behind it: both strategies pay it alike, and it sets the scale of the
 * per-operation figures.
 *
 * One `complete` per LMbench iteration (one fault, one fork+exit, ...).
 */
import { defineWorkload, type Operation } from "./api.ts";
import * as spec from "./common/params.ts";
import { pageTablePool, syscall } from "./common/streams.ts";

export const LMBENCH_TESTS = ["page-fault", "fork-exit", "fork-exec", "syscall", "shell"] as const;

/** PTEs per page-table page. */
const PTRS_PER_PTE = 512;
/** Upper bound of the per-call work parameters (fork, exec, exit, wait, user time). */
const MAX_CALL_CYCLES = 100_000_000;

export default defineWorkload({
  name: "lmbench",
  version: "1.0.0",
  summary:
    "LMbench latency tests (lat_pagefault, lat_proc fork/exec/shell, lat_syscall null) on PKS-protected page tables",
  citation:
    "LMbench lat_pagefault, lat_proc (fork, exec, shell) and lat_syscall null (McVoy and Staelin); kernel paths of Linux 6.1: mm/memory.c do_read_fault/do_fault_around, mm/filemap.c filemap_map_pages, kernel/fork.c dup_mmap, mm/memory.c copy_pte_range, fs/exec.c exec_mmap, mm/mmap.c exit_mmap; page tables protected as in Edgecombe's PKS page-table RFC v2 (kernel-mechanics.md section 7)",
  params: {
    test: {
      default: "page-fault",
      unit: "-",
      description:
        "Which LMbench test each operation follows: page-fault = lat_pagefault (touch one unmapped page of a mapped file: #PF entry, do_read_fault -> do_fault_around -> filemap_map_pages installs up to fault_around PTEs in one protected table, exit); fork-exit = lat_proc fork (copy_page_range copies anonymous PTEs per table and write-protects the parent's, flush_tlb_mm, the child's exit_mmap zaps and frees its tables, the parent waits; its next writes COW-fault); fork-exec = lat_proc exec (as fork-exit, the child execve()s a small program that faults its pages in and exits); syscall = lat_syscall null (getppid: entry, trivial handler, exit); shell = lat_proc shell (fork, the child execs /bin/sh, which execs the program, faults, runs and exits).",
      choices: LMBENCH_TESTS,
    },
    ops: spec.perThread(200, "ops/thread", "LMbench iterations each thread runs."),
    threads: {
      default: 1,
      unit: "threads",
      description: "Copies of the test running at once (LMbench runs one).",
      min: 1,
      max: 8192,
    },
    pages: spec.pages(
      1024,
      "Page-table pages in the protected pool (all processes' tables come from it).",
      16,
    ),
    file_pages: {
      default: 4096,
      unit: "user pages",
      description: "Size of the file lat_pagefault maps (16 MiB).",
      min: 16,
      max: 1 << 20,
    },
    fault_around: {
      default: 16,
      unit: "PTEs",
      description:
        "PTEs a file read fault maps at once (fault_around_bytes 64 KiB / 4 KiB, 6.1 default).",
      min: 1,
      max: PTRS_PER_PTE,
    },
    anon_pages: {
      default: 32,
      unit: "user pages",
      description:
        "Resident anonymous pages of the forking process (data, heap, stack), copied by fork; unverified shape.",
      min: 1,
      max: 1 << 16,
    },
    program_faults: {
      default: 12,
      unit: "faults",
      description:
        "Page faults the exec'd program takes before it exits (file text/data with fault-around, plus anonymous stack/bss); unverified shape.",
      min: 0,
      max: 10_000,
    },
    shell_faults: {
      default: 40,
      unit: "faults",
      description:
        "Page faults /bin/sh takes before it execs the program (shell test); unverified shape.",
      min: 0,
      max: 10_000,
    },
    cow_faults: {
      default: 2,
      unit: "faults",
      description:
        "Write-protect (COW) faults the parent takes after each fork before it forks again.",
      min: 0,
      max: 1000,
    },
    fault_cycles: spec.cycles(
      800,
      "Handler work per fault besides entry/exit and PTE writes (VMA lookup, page-cache lookups, rmap and refcounts); placeholder, no published figure.",
    ),
    fork_cycles: spec.cycles(
      20_000,
      "copy_process work besides the page tables (task, credentials, files, signals, VMA copies); placeholder.",
      MAX_CALL_CYCLES,
    ),
    exec_cycles: spec.cycles(
      30_000,
      "execve work besides the address space (open, ELF parsing, mmap of the segments, argument copying); placeholder.",
      MAX_CALL_CYCLES,
    ),
    exit_cycles: spec.cycles(
      10_000,
      "do_exit work besides exit_mmap (files, signals, reparenting); placeholder.",
      MAX_CALL_CYCLES,
    ),
    wait_cycles: spec.cycles(
      2_000,
      "wait4 reaping the child (release_task); placeholder.",
      MAX_CALL_CYCLES,
    ),
    user_cycles: spec.cycles(
      100,
      "User-mode time per iteration of the benchmark loop (and of the exec'd program's run).",
      MAX_CALL_CYCLES,
    ),
    ...spec.strayParams(),
  },
  region: pageTablePool,
  threads: (params) => params.threads,
  *generate({ thread, rng, params }): Generator<Operation> {
    // Every thread is its own process: mm ids are unique per thread.
    const base = (thread + 1) * 1_000_000;
    let nextMm = base + 1;
    yield { kind: "use-mm", mm: base };
    // The forking process's resident anonymous pages (faulted in before the loop; the
    // syscall and page-fault tests never copy them, so they skip this).
    const forks =
      params.test === "fork-exit" || params.test === "fork-exec" || params.test === "shell";
    for (let page = 0; forks && page < params.anon_pages; page++) {
      yield { kind: "fault", page, write: true, anon: true, cycles: params.fault_cycles };
    }

    /** A system call whose handler works `cycles` (none when 0), then does `body`. */
    const call = (cycles: number, body: Operation[] = []): Generator<Operation> =>
      syscall(cycles > 0 ? [{ kind: "compute", cycles, touches: 0 }, ...body] : body);

    /** The program an exec starts (in address space `mm`): its faults, its run, its exit. */
    const program = function* (mm: number, faults: number): Generator<Operation> {
      for (let i = 0; i < faults; i++) {
        // Text and data come from the file with fault-around; every fourth is anonymous.
        const anon = i % 4 === 3;
        yield {
          kind: "fault",
          mm,
          page: anon ? PTRS_PER_PTE * 8 + i : i * params.fault_around,
          write: anon,
          anon,
          ptes: anon ? 1 : params.fault_around,
          cycles: params.fault_cycles,
        };
      }
    };

    const parentCow = function* (): Generator<Operation> {
      for (let i = 0; i < params.cow_faults; i++) {
        yield {
          kind: "fault",
          page: i % params.anon_pages,
          write: true,
          anon: true,
          cycles: params.fault_cycles,
        };
      }
    };

    // lat_pagefault: windows of the file in a random order, remapped after a full pass.
    const filePage = PTRS_PER_PTE * 64;
    const windows = Math.max(1, Math.floor(params.file_pages / params.fault_around));
    let order: number[] = [];

    for (let i = 0; i < params.ops; i++) {
      yield { kind: "user", cycles: params.user_cycles };
      switch (params.test) {
        case "syscall":
          yield* call(50);
          break;
        case "page-fault": {
          if (order.length === 0) {
            if (i > 0) {
              // munmap + mmap of the file between passes (not a timed iteration in LMbench).
              yield* call(0, [
                {
                  kind: "zap",
                  page: filePage,
                  count: windows * params.fault_around,
                  mode: "clear",
                },
              ]);
            }
            order = Array.from({ length: windows }, (_, w) => w);
            for (let w = order.length - 1; w > 0; w--) {
              const j = rng.int(0, w);
              [order[w], order[j]] = [order[j], order[w]];
            }
          }
          const window = order.pop() as number;
          yield {
            kind: "fault",
            page: filePage + window * params.fault_around,
            write: false,
            ptes: params.fault_around,
            cycles: params.fault_cycles,
          };
          break;
        }
        case "fork-exit":
        case "fork-exec":
        case "shell": {
          const child = nextMm++;
          yield* call(params.fork_cycles, [{ kind: "fork", child }]);
          let last = child;
          if (params.test !== "fork-exit") {
            const exec = (from: number, faults: number): Operation[] => {
              const mm = nextMm++;
              last = mm;
              return [
                ...syscall([
                  { kind: "compute", cycles: params.exec_cycles, touches: 0 },
                  { kind: "exec", mm, from, ptes: 2 },
                ]),
                ...program(mm, faults),
              ];
            };
            if (params.test === "shell") {
              yield* exec(child, params.shell_faults);
              yield* exec(last, params.program_faults);
            } else {
              yield* exec(child, params.program_faults);
            }
          }
          yield* call(params.exit_cycles, [{ kind: "exit", mm: last }]);
          yield* call(params.wait_cycles);
          yield* parentCow();
          break;
        }
      }
      yield { kind: "complete" };
    }
  },
});
