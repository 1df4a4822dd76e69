// The manifest the render writes for `npm run diff`: the options the engine acts on, as the program
// set them, and secrets only as markers.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MANIFEST_FILE, parseManifest } from "../../tools/diff-manifest";
import { readStackFile } from "../../tools/render";
import { tempDir } from "../harness/daemons";
import { renderedStack } from "../harness/rendered";

describe("manifest.json of the prod render", () => {
  it("records URNs, parents, the stack's resource options and secrets as markers only", async () => {
    const { outDir } = await renderedStack("prod");
    const text = readFileSync(join(outDir, MANIFEST_FILE), "utf8");
    const manifest = parseManifest(text, MANIFEST_FILE);
    const one = (type: string, name: string) => {
      const found = manifest.resources.filter((r) => r.type === type && r.name === name);
      expect(found, `${type}::${name}`).toHaveLength(1);
      return found[0];
    };

    const hdfsNamespace = one("kubernetes:core/v1:Namespace", "hdfs-namespace");
    expect(hdfsNamespace.options).toMatchObject({ retainOnDelete: true, protect: false });
    expect(hdfsNamespace.aliases).toEqual([hdfsNamespace.urn.replace(/::hdfs-namespace$/, "::hdfs")]);
    expect(hdfsNamespace.parent).toBe(one("spark-gpu-stack:hdfs:HdfsCluster", "hdfs").urn);
    expect(one("kubernetes:batch/v1:Job", "hdfs-create-directories").options.deleteBeforeReplace).toBe(true);
    const applier = one("command:remote:Command", "nodes-gpu-node-1");
    expect(applier.options.replaceOnChanges).toEqual(["triggers[*]"]);
    expect((applier.inputs as { stdin: string }).stdin).toMatch(/^\[secret:[0-9a-f]{16}\]$/);

    const nodes = one("spark-gpu-stack:nodes:NodeRuntimeConfig", "nodes");
    const proxyValues = manifest.files[nodes.urn]["gpu-node-1/etc/spark-gpu-stack/docker-proxy.env"];
    expect(proxyValues).toContain('HTTP_PROXY="http://%5Bsecret%5D:%5Bsecret%5D@proxy.example.com:8080"');
    // Each secret of the stack file is a marker that follows its ciphertext.
    expect(Object.keys(manifest.secrets).sort()).toEqual(["proxyPassword", "proxyUsername", "registryPassword", "sshPrivateKey"]);
    expect(manifest.secrets.proxyPassword).toMatch(/^\[secret:[0-9a-f]{16}\]$/);
    for (const placeholder of Object.values(readStackFile("prod").placeholders)) expect(text).not.toContain(placeholder);
  }, 60_000); // a prod render on a loaded machine

  it("names each undecrypted secret after its ciphertext, so a rotated one renders differently", () => {
    const dir = tempDir("manifest-stack");
    const placeholder = (name: string, ciphertext: string) => {
      const path = join(dir, `Pulumi.${name}.yaml`);
      writeFileSync(path, `config:\n  spark-gpu-stack:proxyPassword:\n    secure: ${ciphertext}\n`);
      return readStackFile(path).placeholders.proxyPassword;
    };
    expect(placeholder("a", "v1:one")).toMatch(/^undecrypted-secure-proxyPassword-[0-9a-f]{12}$/);
    expect(placeholder("b", "v1:one")).toBe(placeholder("a", "v1:one"));
    expect(placeholder("c", "v1:two")).not.toBe(placeholder("a", "v1:one"));
  });
});
