/** The startup section: `pkslab --version` from its esbuild bundle (the default) and from the sources via tsx. */
import { add, ROOT, reps } from "./common.ts";
import { measureProcess, median } from "./harness.ts";

export function startupSection(): void {
  const time = (env: Record<string, string>) => {
    const walls: number[] = [];
    // The first run may build the bundle; it is not counted.
    measureProcess(["bin/pkslab.mjs", "--version"], ROOT, env);
    for (let i = 0; i < Math.max(reps, 3); i++) {
      walls.push(measureProcess(["bin/pkslab.mjs", "--version"], ROOT, env).wallMs);
    }
    return median(walls) / 1000;
  };
  add("startup", "pkslab --version, from the bundle", time({}), "s", "median");
  add(
    "startup",
    "pkslab --version, from the sources (tsx)",
    time({ PKSLAB_NO_BUNDLE: "1" }),
    "s",
    "median; PKSLAB_NO_BUNDLE=1",
  );
}
