/**
 * The progress bar of a run (cli-progress), on stderr and only when stderr is a terminal,
 * so that a redirected report is byte-for-byte the report.
 */

/** A bar: `update` with the count done (and the total, for a bar opened without one). */
export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

/**
 * "comparing [====    ] 12/40 cells  3s  eta 7s": `verb`, then the total in `units`. Drawn
 * from the start when `total` is given, else from the first update that gives it.
 */
export async function startProgress(
  verb: string,
  units: string,
  total?: number,
): Promise<Progress> {
  if (!process.stderr.isTTY) return SILENT;
  const { SingleBar } = await import("cli-progress");
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${verb} [{bar}] {value}/{total} ${units}  {duration}s  eta {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  const start = (of: number) => {
    bar.start(of, 0);
    started = true;
  };
  if (total !== undefined) start(total);
  return {
    update(done, of) {
      if (!started && of !== undefined) start(of);
      if (started) bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
