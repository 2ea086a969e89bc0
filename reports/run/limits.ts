/**
 * The limits a cell that runs user plugin code runs under (`--cell-timeout`,
 * `--cell-memory`): what they are, their defaults and the setting that chose them.
 */

/** How cells with user plugins are kept from hanging the run. */
export interface CellTimeout {
  /** Wall-clock limit of one such cell in its worker thread, in milliseconds (0: none). */
  readonly ms: number;
  /** The flag or setting that chose the limit, for the message (e.g. `--cell-timeout 600`). */
  readonly setting: string;
}

/** How much memory a cell with user plugins may take. */
export interface CellMemory {
  /** Heap limit (V8 old generation) of the worker threads that run such cells, in MB (0: none). */
  readonly mb: number;
  /** The flag or setting that chose the limit, for the message (e.g. `--cell-memory 512`). */
  readonly setting: string;
}

/** No limit (the runner's default for built-in work). */
export const NO_TIMEOUT: CellTimeout = { ms: 0, setting: "" };
/** No heap limit. */
export const NO_MEMORY_LIMIT: CellMemory = { mb: 0, setting: "" };

/** Default wall-clock limit of a cell that runs plugin code, in seconds. */
export const DEFAULT_CELL_TIMEOUT_SECONDS = 600;

/** The cell timeout from the flag, else the config file, else the default. */
export function cellTimeoutOf(flag: number | undefined, file: number | undefined): CellTimeout {
  const seconds = flag ?? file ?? DEFAULT_CELL_TIMEOUT_SECONDS;
  const setting =
    flag !== undefined
      ? `--cell-timeout ${flag}`
      : file !== undefined
        ? `cellTimeout ${file} in the config file`
        : `the default --cell-timeout ${DEFAULT_CELL_TIMEOUT_SECONDS}`;
  return { ms: Math.round(seconds * 1000), setting };
}

/**
 * Default heap limit of a worker thread that runs plugin cells, in MB: a built-in cell of
 * the default comparison needs a few tens of MB, one of 100,000 seeds a few hundred.
 */
export const DEFAULT_CELL_MEMORY_MB = 2048;

/** The cell memory limit from the flag, else the config file, else the default. */
export function cellMemoryOf(flag: number | undefined, file: number | undefined): CellMemory {
  const mb = flag ?? file ?? DEFAULT_CELL_MEMORY_MB;
  const setting =
    flag !== undefined
      ? `--cell-memory ${flag}`
      : file !== undefined
        ? `cellMemory ${file} in the config file`
        : `the default --cell-memory ${DEFAULT_CELL_MEMORY_MB}`;
  return { mb, setting };
}
