// `npm run demo`: runs the bundled hello guest headless through the CLI and shows every trap it takes.
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const guest = "sample-guests/hello/hello.S";
console.log(`$ npx hyperstep run ${guest} --trace-traps\n`);
const r = spawnSync(process.execPath, ["dist/hyperstep.js", "run", guest, "--trace-traps"], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
