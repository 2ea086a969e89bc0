/**
 * The op interpreter: one stream operation of one thread on one CPU, dispatched by one
 * switch over the operation kinds to its handler (mapping-ops.ts, lifetime.ts,
 * scheduler.ts). To add an operation kind: declare it in core/contract/workload.ts,
 * write its handler beside those of its concern, and add its case here.
 *
 * @packageDocumentation
 */
import type { Operation } from "../contract/workload.ts";
import {
  execOp,
  exitOp,
  faultOp,
  forkOp,
  kernelEntryOp,
  kernelExitOp,
  touchOp,
  useMmOp,
  userOp,
  zapOp,
} from "./lifetime.ts";
import { accessOp, computeOp, directReadOp, mapOp, pageMoveOp, unmapOp } from "./mapping-ops.ts";
import { migrateOp, sleepOp, waitForOp, yieldOp } from "./scheduler.ts";
import type { RunState, SimThread } from "./state.ts";

/** Executes `op`, the next operation of `sim`'s stream, on `cpu`. */
export function execute(run: RunState, cpu: number, sim: SimThread, op: Operation): void {
  run.siteOperation = op;
  run.siteCpu = cpu;
  run.lastOpKind[cpu] = op.kind;
  switch (op.kind) {
    case "map":
      mapOp(run, cpu, sim, op);
      return;
    case "access":
      accessOp(run, cpu, sim, op);
      return;
    case "direct-read":
      directReadOp(run, cpu, sim, op);
      return;
    case "unmap":
      unmapOp(run, cpu, sim, op);
      return;
    case "compute":
      computeOp(run, cpu, sim, op);
      return;
    case "yield":
      yieldOp(run, cpu, sim);
      return;
    case "sleep":
      sleepOp(run, cpu, sim, op);
      return;
    case "wait-for":
      waitForOp(run, sim, op);
      return;
    case "migrate":
      migrateOp(run, cpu, sim, op);
      return;
    case "protect-pages":
    case "release-pages":
      pageMoveOp(run, cpu, sim, op);
      return;
    case "complete":
      run.counters.operations++;
      sim.completed++;
      return;
    case "kernel-entry":
      kernelEntryOp(run, cpu, sim, op);
      return;
    case "kernel-exit":
      kernelExitOp(run, cpu, sim);
      return;
    case "user":
      userOp(run, cpu, sim, op);
      return;
    case "fault":
      faultOp(run, cpu, sim, op);
      return;
    case "touch":
      touchOp(run, cpu, sim, op);
      return;
    case "use-mm":
      useMmOp(run, cpu, sim, op);
      return;
    case "fork":
      forkOp(run, cpu, sim, op);
      return;
    case "exec":
      execOp(run, cpu, sim, op);
      return;
    case "exit":
      exitOp(run, cpu, sim, op);
      return;
    case "zap":
      zapOp(run, cpu, sim, op);
      return;
    default:
      // A kind the contract does not know (a plugin workload's typo): nothing happens.
      return;
  }
}
