// Worker-thread entry of parallel comparisons: registers tsx in this thread (the main
// thread's loader hooks do not reach workers in Node 20), then runs cell-worker.ts.
import { register } from "tsx/esm/api";

register();
const { default: runCellTask } = await import("./cell-worker.ts");
export default runCellTask;
