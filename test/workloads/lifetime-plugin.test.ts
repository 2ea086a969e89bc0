import { describe, expect, it } from "vitest";
import { pkslab } from "../helpers/cli.ts";
import { tempFile } from "../helpers/tmp.ts";

/** A workload plugin (plain JavaScript, no imports) that uses the process-lifetime operations. */
const PLUGIN = `export default {
  name: "fork-plugin",
  version: "1.0.0",
  summary: "forks and exits from a plugin",
  citation: "test",
  params: {},
  region: () => ({ pages: 64, keyMode: "write-disable", contiguous: true }),
  threads: () => 1,
  *generate() {
    yield { kind: "use-mm", mm: 1 };
    yield { kind: "fault", page: 0, write: true, anon: true };
    for (let i = 0; i < 5; i++) {
      yield { kind: "kernel-entry", via: "syscall" };
      yield { kind: "fork", child: 10 + i };
      yield { kind: "kernel-exit" };
      yield { kind: "exit", mm: 10 + i };
      yield { kind: "user", cycles: 100 };
      yield { kind: "complete" };
    }
  },
};
`;

describe("workload plugins can use the kernel-entry and process-lifetime operations", () => {
  it("a plugin's forks and exits run through the strategy's page-table windows", async () => {
    const file = tempFile("lifetime", "fork-plugin.mjs", PLUGIN);
    const run = await pkslab`compare --plugin ${file} --workloads fork-plugin
      --strategies unprotected,pks-kmap --seeds 1 --check --format json`;
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    for (const result of doc.results) {
      expect(result.status).toBe("ok");
      expect(result.summary["events.forks"].mean).toBe(5);
      expect(result.summary["events.exits"].mean).toBe(5);
      expect(result.summary["events.syscalls"].mean).toBe(5);
    }
    const pks = doc.results.find((r: { strategy: string }) => r.strategy === "pks-kmap");
    expect(pks.summary["events.pkrs_writes"].mean).toBeGreaterThan(0);
  });
});
