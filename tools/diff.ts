// Preview without a cluster: renders a stack at a base revision and at the working tree and prints
// what `pulumi up` would do between them. Usage:
//   npm run diff -- <stack name | path to Pulumi.<stack>.yaml> [--base <git ref | rendered dir>] [--json] [--allow-data-loss]
// Exit: 0 no data loss (or allowed), 3 data loss, 1 a render or the base failed, 2 usage.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve as resolvePath } from "node:path";
import { MANIFEST_FILE, parseManifest, type Manifest } from "./diff-manifest";
import { formatHuman, formatJson } from "./diff-format";
import { planDiff } from "./diff-plan";
import { ROOT } from "./render";
import { renderArgv } from "./render-argv";

const USAGE =
  "usage: npm run diff -- <stack name | path to Pulumi.<stack>.yaml> [--base <git ref | rendered dir>] [--json] [--allow-data-loss]";
export const EXIT_DATA_LOSS = 3;

class DiffError extends Error {
  override name = "DiffError";
}

interface Options {
  readonly stack: string;
  readonly base: string;
  readonly json: boolean;
  readonly allowDataLoss: boolean;
}

function parseArgs(argv: readonly string[]): Options | undefined {
  const positional: string[] = [];
  let base = "HEAD";
  let json = false;
  let allowDataLoss = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--base") {
      const next = argv[++i];
      if (next === undefined) return undefined;
      base = next;
    } else if (arg === "--json") json = true;
    else if (arg === "--allow-data-loss") allowDataLoss = true;
    else if (arg.startsWith("--")) return undefined;
    else positional.push(arg);
  }
  return positional.length === 1 ? { stack: positional[0], base, json, allowDataLoss } : undefined;
}

/** Runs a program to its end, keeping its output; rejects with its stderr when it fails. */
function runProgram(cmd: string, args: readonly string[], cwd: string, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(stdout) : reject(new DiffError(`${what} failed (exit ${code}):\n${stderr.trim() || stdout.trim()}`)),
    );
  });
}

/** Renders `stack` with the compiled tools/render.ts below `root` into `outRoot`; returns its manifest. */
async function renderManifest(root: string, stack: string, outRoot: string, what: string): Promise<Manifest> {
  await runProgram(process.execPath, renderArgv(root, [stack, "--out", outRoot]), root, `rendering ${what}`);
  return readManifest(outRoot, stack);
}

function stackName(stack: string): string {
  return /(?:^|[/\\])Pulumi\.(.+)\.ya?ml$/.exec(stack)?.[1] ?? stack;
}

/** A rendered dir: out/<stack>/ itself, or an --out root holding <stack>/manifest.json. */
function readManifest(dir: string, stack: string): Manifest {
  const candidates = [join(dir, MANIFEST_FILE), join(dir, stackName(stack), MANIFEST_FILE)];
  const found = candidates.find(existsSync);
  if (!found) {
    throw new DiffError(
      `${dir}: no ${MANIFEST_FILE} (looked for ${candidates.join(" and ")}); render it with \`npm run render -- ${stack} --out ${dir}\``,
    );
  }
  return parseManifest(readFileSync(found, "utf8"), found);
}

/**
 * The base revision checked out into a temporary dir, built with this checkout's node_modules and
 * rendered by this checkout's render tool (so a revision from before `diff` renders a manifest too).
 */
async function renderRevision(ref: string, stack: string, work: string): Promise<Manifest> {
  const git = (...args: string[]) => execFileSync("git", ["-C", ROOT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  let commit: string;
  try {
    commit = git("rev-parse", "--verify", "--quiet", `${ref}^{commit}`).trim();
  } catch {
    throw new DiffError(`--base ${ref}: neither a directory nor a git revision of ${ROOT}`);
  }
  let stackArg = stack;
  if (/[/\\]|\.ya?ml$/.test(stack)) {
    const inRepo = relative(ROOT, resolvePath(stack));
    if (inRepo.startsWith("..") || isAbsolute(inRepo)) {
      throw new DiffError(`${stack} lies outside ${ROOT}: it has no git revision; give --base a rendered dir instead`);
    }
    stackArg = join(work, "src", inRepo);
  }
  const src = join(work, "src");
  mkdirSync(src, { recursive: true });
  execFileSync("tar", ["-x", "-C", src], { input: execFileSync("git", ["-C", ROOT, "archive", commit], { maxBuffer: 1 << 30 }) });
  symlinkSync(join(ROOT, "node_modules"), join(src, "node_modules"));
  // A revision with type errors still emits JavaScript; what matters is that its program exists.
  await runProgram(
    process.execPath,
    [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"],
    src,
    `building ${ref}`,
  ).catch((error: Error) => {
    if (!existsSync(join(src, "bin", "index.js"))) throw error;
  });
  cpSync(join(ROOT, "bin", "tools"), join(src, "bin", "tools"), { recursive: true, force: true });
  return renderManifest(src, stackArg, join(work, "out"), `${stack} at ${ref} (${commit.slice(0, 12)})`);
}

export async function main(argv: readonly string[]): Promise<number> {
  const options = parseArgs(argv);
  if (!options) {
    console.error(USAGE);
    return 2;
  }
  const work = mkdtempSync(join(tmpdir(), "spark-gpu-stack-diff-"));
  try {
    const baseIsDir = existsSync(options.base) && statSync(options.base).isDirectory();
    const [base, head] = await Promise.all([
      baseIsDir
        ? Promise.resolve(readManifest(options.base, options.stack))
        : renderRevision(options.base, options.stack, join(work, "base")),
      renderManifest(ROOT, options.stack, join(work, "head"), `${options.stack} in the working tree`),
    ]);
    const plan = planDiff(base, head);
    const baseLabel = baseIsDir ? `rendered dir ${options.base}` : `git ${options.base}`;
    if (options.json) process.stdout.write(formatJson(plan, baseLabel, "working tree"));
    else {
      const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
      process.stdout.write(formatHuman(plan, `Stack ${head.stack}: ${baseLabel} -> working tree`, color));
    }
    if (plan.summary.dataLoss > 0 && !options.allowDataLoss) {
      console.error(`\n${plan.summary.dataLoss} step(s) lose data (DATA LOSS above); pass --allow-data-loss to accept`);
      return EXIT_DATA_LOSS;
    }
    return 0;
  } catch (error) {
    console.error(error instanceof DiffError || (error instanceof Error && error.name === "SyntaxError") ? error.message : error);
    return 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
