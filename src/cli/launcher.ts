/**
 * `hyperstep` (dist/hyperstep.js): starts the CLI bundle (dist/hyperstep-cli.js) through V8's code
 * cache. Compiling the bundle and the functions a run calls costs more than running a small guest;
 * V8 can save that work (vm.Script#createCachedData, after the run, so the functions the run
 * compiled are in it) and take it back the next time, as Node 22's module.enableCompileCache does
 * for Node 20, which lacks it. The cache is a file per bundle and Node version in
 * $XDG_CACHE_HOME/hyperstep (else ~/.cache/hyperstep); V8 checks it against the source and its own
 * flags and rejects one that does not fit, which is then written afresh. A cache that cannot be read
 * or written only costs the compile time; HYPERSTEP_CODE_CACHE=0 turns it off.
 *
 * Everything here runs before the CLI on every run, so it loads no module Node has not loaded already
 * (node:crypto alone cost about 10 ms): the file's name comes from the bundle's size and modification
 * time, not from a digest of its text.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { homedir } from "node:os";
import * as path from "node:path";
import { Script } from "node:vm";

const bundle = path.join(__dirname, "hyperstep-cli.js");
const source = readFileSync(bundle, "utf8");
const cacheFile = process.env.HYPERSTEP_CODE_CACHE === "0" ? undefined : cachePath();
const cachedData = cacheFile ? readOrUndefined(cacheFile) : undefined;
const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
if (cacheFile && (!cachedData || script.cachedDataRejected)) process.once("exit", () => save(cacheFile, script));

const cli = new Module(bundle, module);
cli.filename = bundle;
(script.runInThisContext() as (...args: unknown[]) => void).call(cli.exports, cli.exports, (id: string) => cli.require(id), cli, bundle, path.dirname(bundle));

function cachePath(): string {
  const dir = process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache");
  const { size, mtimeMs } = statSync(bundle);
  return path.join(dir, "hyperstep", `cli-${fnv1a64(`${size} ${mtimeMs} ${process.version} ${process.arch}`)}.v8`);
}

/** The 64-bit FNV-1a hash of a short string, as 16 hex digits: a file name, not a check (V8 checks the cache). */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) hash = BigInt.asUintN(64, (hash ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n);
  return hash.toString(16).padStart(16, "0");
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Written beside and renamed into place, so a run that starts meanwhile never reads half a cache;
 * the caches of other builds go, so rebuilding does not fill the folder.
 */
function save(file: string, compiled: Script): void {
  try {
    const dir = path.dirname(file);
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, compiled.createCachedData());
    renameSync(partial, file);
    for (const old of readdirSync(dir)) if (/^cli-[0-9a-f]+\.v8$/.test(old) && old !== path.basename(file)) rmSync(path.join(dir, old), { force: true });
  } catch {
    // A read-only or full disk: the next run compiles again.
  }
}
