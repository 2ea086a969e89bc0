/**
 * A claims run as a runner task (reports/run): the default export is what a worker thread
 * calls; evaluate.ts calls the same function (runClaimRun) in this thread.
 */
import { runClaimRun } from "./plan.ts";

export default runClaimRun;
