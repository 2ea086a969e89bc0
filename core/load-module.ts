import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";

/**
 * Imports a user file (a strategy or workload plugin, a claims file) written in TypeScript
 * or JavaScript, wherever it lives. tsx compiles it on the fly; a `.ts` file outside an
 * ES-module package is compiled as CommonJS, whose exports then arrive under `default`:
 * those are unwrapped so that `default` is always the module's own default export.
 */
export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  const namespace = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<
    string,
    unknown
  >;
  const inner = namespace.default;
  // esbuild marks an ES module it compiled to CommonJS with an own `__esModule` property.
  if (inner !== null && typeof inner === "object" && Object.hasOwn(inner, "__esModule")) {
    return inner as Record<string, unknown>;
  }
  return namespace;
}
