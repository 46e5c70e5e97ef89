// `npm run fuzz`: every fuzz target of test/fuzz at length (test/fuzz/cli.ts lists the options:
// --only NAME, --seconds N, --cases N, --seed N, --index I, --timeout S, --memory MiB, --out DIR).
// `npm test -- fuzz` runs the same targets for a short fixed budget.
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const r = spawnSync(process.execPath, ["--import", "tsx", "test/fuzz/cli.ts", ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
