// A generated stack file for `npm run bench`: the prod stack's shape (stacks/Pulumi.prod.yaml) at the
// scale a large site runs, 100 GPU nodes and 50 GPU applications, to show how the render scales.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify as toYaml } from "yaml";

export const LARGE_NODES = 100;
export const LARGE_APPLICATIONS = 50;

/** A well-formed ed25519 host key line (RFC 4253 §6.6 blob) derived from the node's name: a placeholder, as prod's are. */
function placeholderHostKey(node: string): string {
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(createHash("sha256").update(node).digest())]);
  return `ssh-ed25519 ${blob.toString("base64")}`;
}

/** The stack file's document; node i is at 10.20.<i/250>.<i%250 + 1>, all in one /16. */
export function largeStackDocument(nodes = LARGE_NODES, applications = LARGE_APPLICATIONS) {
  const key = (section: string) => `spark-gpu-stack:${section}`;
  const hosts = Array.from({ length: nodes }, (_, i) => ({
    name: `gpu-node-${i + 1}`,
    address: `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    runtime: i % 2 === 0 ? "docker" : "containerd",
    gpu: true,
    hostKey: placeholderHostKey(`gpu-node-${i + 1}`),
  }));
  const secure = { secure: "v1:placeholder-set-with-pulumi-config-set-secret" };
  return {
    config: {
      [key("cluster")]: { domain: "cluster.local", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", apiServer: "10.20.0.1:6443" },
      [key("proxy")]: { http: "http://proxy.example.com:8080", noProxy: [".example.com"] },
      [key("proxyUsername")]: secure,
      [key("proxyPassword")]: secure,
      [key("dns")]: ["10.20.255.53"],
      [key("registry")]: { host: hosts[0].address, node: hosts[0].name, port: 6001, mirror: { enabled: true } },
      [key("registryPassword")]: secure,
      [key("sshPrivateKey")]: secure,
      [key("nodes")]: { delivery: "ssh", maxUnavailable: 10, subnet: "10.20.0.0/16", hosts },
      [key("gpu")]: { enabled: true },
      [key("spark")]: {
        applications: Array.from({ length: applications }, (_, i) => ({
          name: `inference-${i + 1}`,
          mainFile: "local:///opt/spark/app/batch_inference.py",
          arguments: ["--partitions", String(8 + (i % 16))],
          executor: { instances: 1 + (i % 4), cores: 4, memory: "8Gi", gpus: 1 },
          taskGpus: 0.25,
        })),
      },
      [key("hdfs")]: { enabled: true, dataNodes: 3 },
    },
  };
}

/** Writes `Pulumi.large.yaml` into `dir` and returns its path. */
export function writeLargeStack(dir: string): string {
  const path = join(dir, "Pulumi.large.yaml");
  writeFileSync(path, toYaml(largeStackDocument(), { lineWidth: 0 }));
  return path;
}
