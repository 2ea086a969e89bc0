#!/usr/bin/env node
// Entry point installed as `pkslab`. The project is TypeScript run through tsx,
// which also lets users load strategy and workload plugins written in TypeScript.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../reports/cli/main.ts");
process.exitCode = await main(process.argv);
