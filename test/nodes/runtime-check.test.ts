// The config side of the runtime check: RuntimeClass `nvidia` is refused with Docker nodes, whose
// kubelet reaches Docker through cri-dockerd (README, "Runtime check").
import { expect, it } from "vitest";
import { configProblems } from "../harness/config";

const node = (name: string, address: string, runtime: string) => ({ name, address, runtime, gpu: true });
const raw = (runtimes: string[], gpu: Record<string, unknown>) => ({
  storage: { className: "local-path" },
  registry: { host: "192.0.2.21", node: "gpu-1" },
  nodes: { delivery: "daemonset", hosts: runtimes.map((runtime, i) => node(`gpu-${i + 1}`, `192.0.2.2${i + 1}`, runtime)) },
  gpu,
});

it("refuses gpu.runtimeClass with Docker nodes, naming them", () => {
  expect(configProblems(raw(["containerd", "docker", "docker"], { enabled: true, runtimeClass: true }))).toEqual([
    "gpu.runtimeClass: expected false while nodes.hosts has Docker nodes (gpu-2, gpu-3): their kubelet runs pods through cri-dockerd, which ignored RuntimeClass handlers before Mirantis/cri-dockerd#350 and whose version the stack cannot see, so GPU pods could run without the nvidia runtime; Docker GPU nodes get it as Docker's default runtime instead, got true",
  ]);
});

it("takes gpu.runtimeClass with containerd nodes, and Docker nodes without it", () => {
  expect(configProblems(raw(["containerd", "containerd"], { enabled: true, runtimeClass: true }))).toEqual([]);
  expect(configProblems(raw(["docker", "docker"], { enabled: true }))).toEqual([]);
});
