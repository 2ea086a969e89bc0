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

/**
 * A limit from its flag, else the config file's key, else the default: the value, and the
 * setting it came from as the report names it.
 */
function limitOf(
  flag: number | undefined,
  file: number | undefined,
  names: { readonly flag: string; readonly key: string; readonly fallback: number },
): { value: number; setting: string } {
  if (flag !== undefined) return { value: flag, setting: `${names.flag} ${flag}` };
  if (file !== undefined)
    return { value: file, setting: `${names.key} ${file} in the config file` };
  return { value: names.fallback, setting: `the default ${names.flag} ${names.fallback}` };
}

/** The cell timeout from the flag, else the config file, else the default. */
export function cellTimeoutOf(flag: number | undefined, file: number | undefined): CellTimeout {
  const { value: seconds, setting } = limitOf(flag, file, {
    flag: "--cell-timeout",
    key: "cellTimeout",
    fallback: DEFAULT_CELL_TIMEOUT_SECONDS,
  });
  return { ms: Math.round(seconds * 1000), setting };
}

/**
 * Default heap limit of a worker thread that runs plugin cells, in MB: a built-in cell of
 * the default comparison needs a few tens of MB, one of 100,000 seeds a few hundred.
 */
export const DEFAULT_CELL_MEMORY_MB = 2048;

/** The cell memory limit from the flag, else the config file, else the default. */
export function cellMemoryOf(flag: number | undefined, file: number | undefined): CellMemory {
  const { value: mb, setting } = limitOf(flag, file, {
    flag: "--cell-memory",
    key: "cellMemory",
    fallback: DEFAULT_CELL_MEMORY_MB,
  });
  return { mb, setting };
}
