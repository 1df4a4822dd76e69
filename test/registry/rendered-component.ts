// PrivateRegistry rendered under the recording mock runtime, shared by its unit and system tests.
import type { RegistryTls } from "../../components/refs";
import type { PrivateRegistry } from "../../components/registry";
import { plain, resolve, startMockRuntime, type MockRuntime } from "../../tools/mock-runtime";
import { acceptedConfig } from "../harness/config";

export const PASSWORD = "s3cret-registry-pw";
export const PROXY = { username: "alice", password: "p@ss:w/rd" };

export const PROD = {
  proxy: { http: "http://proxy.example.com:8080" },
  registry: { host: "192.0.2.21", node: "gpu-node-1", mirror: { enabled: true }, storage: { storageClass: "local-path" } },
};

export interface Rendered {
  readonly rt: MockRuntime;
  readonly component: PrivateRegistry;
}

export async function renderRegistry(
  raw: Record<string, unknown>,
  options: { password?: string; proxy?: boolean; providedTls?: Record<keyof RegistryTls, string>; tlsValidFrom?: Date } = {},
): Promise<Rendered> {
  const rt = startMockRuntime({ tlsValidFrom: options.tlsValidFrom });
  const pulumi = await import("@pulumi/pulumi");
  const { PrivateRegistry } = await import("../../components/registry/index.js");
  const { declareRegistryTls } = await import("../../components/registry/tls.js");
  const config = acceptedConfig(raw, options.proxy ? ["proxyUsername", "proxyPassword"] : []);
  const provided = options.providedTls;
  // As index.ts does: the stack's own CA unless the user's certificate is given.
  const tls = declareRegistryTls(
    "registry-tls",
    config.registry,
    provided && {
      certificate: pulumi.secret(provided.certificate),
      privateKey: pulumi.secret(provided.privateKey),
      caCertificate: pulumi.secret(provided.caCertificate),
    },
  );
  const component = new PrivateRegistry("registry", {
    tls,
    config: config.registry,
    proxy: config.proxy,
    proxyCredentials: options.proxy ? pulumi.secret(PROXY) : undefined,
    password: options.password === undefined ? undefined : pulumi.secret(options.password),
    podCidr: config.cluster.podCidr,
  });
  await resolve(component.ref.endpoint);
  await rt.settle();
  return { rt, component };
}

export const kubernetes = (rt: MockRuntime) => rt.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
export const wireOf = (rt: MockRuntime, type: string, name: string) => rt.one(type, name).wire as any;
export const deployment = (rt: MockRuntime, name: string) => plain(wireOf(rt, "kubernetes:apps/v1:Deployment", name));
export const secretData = (rt: MockRuntime, name: string) =>
  plain(wireOf(rt, "kubernetes:core/v1:Secret", name)).stringData as Record<string, string>;
