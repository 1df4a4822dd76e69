// One offline render per stack in each test worker: the unit project shares its workers between
// files (vitest.config.mts), and rendering a stack is the slowest step of most files that read one.
// Callers only read the result and the files it wrote.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { render, type RenderResult } from "../../tools/render";

const renders = new Map<string, Promise<RenderResult>>();
// Outlives the per-file temp dirs (test/harness/cleanup.ts): later files read what it holds.
const root = mkdtempSync(join(tmpdir(), "sgs-rendered-"));
process.once("exit", () => rmSync(root, { recursive: true, force: true }));

/** The render of `stacks/Pulumi.<stack>.yaml`, made once per worker. */
export function renderedStack(stack: string): Promise<RenderResult> {
  let rendered = renders.get(stack);
  if (rendered === undefined) {
    rendered = render(stack, root);
    renders.set(stack, rendered);
  }
  return rendered;
}
