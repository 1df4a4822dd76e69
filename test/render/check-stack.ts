// What every stack's render must satisfy: a program that declares valid objects and leaks no secret.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { expect } from "vitest";
import { validateKubernetesObject, type KubernetesObject } from "../harness/kubernetes-schema";
import { plain } from "../../tools/mock-runtime";
import { readStackFile } from "../../tools/render";
import { renderedStack } from "../harness/rendered";

function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesBelow(path) : [path];
  });
}

export async function checkStackRender(stack: string) {
  const result = await renderedStack(stack);
  const objects = result.resources
    .filter((r) => r.custom && /^kubernetes:(?!helm\.sh\/)[^:]+:[^:]+$/.test(r.type))
    .map((r) => plain(r.wire) as KubernetesObject);
  for (const object of objects) validateKubernetesObject(object);

  const names = objects.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`);
  expect(new Set(names).size, "two objects share apiVersion, kind, namespace and name").toBe(names.length);
  expect(
    objects.every((o) => o.metadata?.name),
    "every object has an explicit metadata.name",
  ).toBe(true);

  // No secret plaintext in anything written: the placeholders standing for secure values must not appear.
  const placeholders = Object.values(readStackFile(stack).placeholders);
  const written = filesBelow(result.outDir);
  for (const file of written) {
    const text = readFileSync(file, "utf8");
    for (const p of placeholders) expect(text, `${file} holds a secret value`).not.toContain(p);
  }
  // The tree as reviewed, file by file: any change to what the stack would deploy shows up in review
  // as a diff under test/render/__snapshots__ (`npx vitest -u` accepts it).
  const shown = written.map((file) => relative(result.outDir, file)).filter((file) => /^(kubernetes|files)\//.test(file));
  expect(shown.length).toBeGreaterThan(10);
  for (const file of shown.sort()) {
    await expect(readFileSync(join(result.outDir, file), "utf8")).toMatchFileSnapshot(join("__snapshots__", stack, file));
  }
  return { result, objects, written };
}
