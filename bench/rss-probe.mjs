// Preloaded (node --import) into a benchmarked child process: on exit, writes the process's
// peak resident set size in KiB (worker threads included) to $PKSLAB_BENCH_RSS.
import { writeFileSync } from "node:fs";

const file = process.env.PKSLAB_BENCH_RSS;
if (file) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
