// How `npm run render` runs the render: the node flags its package.json script gives, then the
// compiled tools/render.ts. `npm run bench` and `npm run diff` run renders exactly the same way.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The flags (each one word, `--name=value`) between `node` and the compiled render in a `render` script. */
export function renderNodeFlags(script: string): string[] {
  const flags = /\bnode((?:\s+-\S+)*)\s+bin\/tools\/render\.js\b/.exec(script)?.[1] ?? "";
  return flags.split(/\s+/).filter(Boolean);
}

/** The node flags of root's `npm run render` script. */
export function renderFlags(root: string): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  return renderNodeFlags(scripts?.render ?? "");
}

/** node's argv for rendering `args` with the render compiled below `root`, as root's `npm run render` would. */
export function renderArgv(root: string, args: readonly string[]): string[] {
  return [...renderFlags(root), join(root, "bin", "tools", "render.js"), ...args];
}
