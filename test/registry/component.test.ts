// PrivateRegistry under the recording mock runtime: the child resources' inputs as the engine would
// receive them, every Kubernetes object against its schema, and secrets kept secret. Debian's
// registry serves the config Secret's files in component.system.test.ts.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { verifySync } from "@node-rs/bcrypt";
import { parse as parseYaml } from "yaml";
import {
  CONFIG_DIR,
  CONFIG_FILE,
  HTPASSWD_FILE,
  PULL_CONFIG_FILE,
  PULL_HTPASSWD_FILE,
  READONLY_CONFIG_FILE,
} from "../../components/registry/render";
import { WRITABLE_PROBE } from "../../components/registry/render-server";
import { containsSecret, isSecret, masked, plain, resolve, type MockRuntime } from "../../tools/mock-runtime";
import { validateKubernetesObject } from "../harness/kubernetes-schema";
import { deployment, kubernetes, PASSWORD, PROD, PROXY, renderRegistry, secretData, wireOf } from "./rendered-component";

describe("PrivateRegistry (prod-like: pinned node, mirror behind an authenticated proxy, given password)", async () => {
  const { rt, component } = await renderRegistry(PROD, { password: PASSWORD, proxy: true });

  it("declares valid Kubernetes objects, each with an explicit name in the registry namespace", () => {
    const objects = kubernetes(rt);
    expect(objects.map((r) => `${r.type.split(":").pop()}/${r.name}`).sort()).toEqual([
      "ConfigMap/registry-gc",
      "CronJob/registry-gc",
      "Deployment/registry",
      "Deployment/registry-mirror",
      "Deployment/registry-ui",
      "Namespace/registry-namespace",
      "NetworkPolicy/registry-deny-ingress",
      "NetworkPolicy/registry-mirror",
      "NetworkPolicy/registry-server",
      "NetworkPolicy/registry-ui",
      "PersistentVolumeClaim/registry-data",
      "PersistentVolumeClaim/registry-mirror-data",
      "Role/registry-gc",
      "RoleBinding/registry-gc",
      "Secret/registry-config",
      "Secret/registry-mirror-config",
      "Secret/registry-mirror-proxy",
      "Secret/registry-tls",
      "Service/registry",
      "Service/registry-ui",
      "ServiceAccount/registry-gc",
    ]);
    for (const r of objects) {
      const object = plain(r.wire);
      validateKubernetesObject(object);
      const k8sName =
        { Namespace: "registry", NetworkPolicy: r.name.replace(/^registry-server$/, "registry") }[object.kind as string] ?? r.name;
      expect(object.metadata.name, r.name).toBe(k8sName);
      if (object.kind !== "Namespace") expect(object.metadata.namespace, r.name).toBe("registry");
    }
  });

  it("renames the namespace's resource with an alias to its old name, so `pulumi up` keeps the namespace and its volumes", () => {
    const namespace = rt.one("kubernetes:core/v1:Namespace");
    expect(namespace.name).toBe("registry-namespace");
    expect(namespace.aliasNames).toEqual(["registry"]);
  });

  it("gives the endpoint, secret credentials and flags that the other components consume", async () => {
    // Consumers pull from the read-only process with the pull account; only the build pushes, with the other.
    expect(await resolve(component.ref.endpoint)).toEqual({ value: "192.0.2.21:6003", secret: false });
    const pull = await resolve(component.ref.credentials);
    expect(pull.secret).toBe(true);
    expect(pull.value.username).toBe("pull");
    expect(pull.value.password).not.toBe(PASSWORD);
    expect(await resolve(component.ref.pushEndpoint)).toEqual({ value: "192.0.2.21:6001", secret: false });
    expect(await resolve(component.ref.pushCredentials)).toEqual({ value: { username: "admin", password: PASSWORD }, secret: true });
    const ca = await resolve(component.ref.caCertificate!);
    expect(ca.secret).toBe(true);
    expect(ca.value).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect((await resolve(component.ref.mirrorEndpoint!)).value).toBe("192.0.2.21:6002");
    expect((await resolve(component.uiUrl!)).value).toBe("http://192.0.2.21:30601/");
    // The endpoint waits for the registry: consumers depend on the Deployment through it.
    const endpointResources = await (component.ref.endpoint as any).allResources();
    expect([...endpointResources].map((r: any) => r.__name)).toContain("registry");
    // The address does not: nodes are configured from it before the registry's image can be pulled.
    expect(component.ref.address).toBe("192.0.2.21:6003");
    expect(component.ref.pushAddress).toBe("192.0.2.21:6001");
    expect(component.ref.mirrorAddress).toBe("192.0.2.21:6002");
  });

  it("runs the pull process beside the registry on the same volume: read-only, its own htpasswd with the pull account alone", async () => {
    const pod = deployment(rt, "registry").spec.template.spec;
    const [registry, pull] = pod.containers;
    expect(pod.containers.map((c: any) => c.name)).toEqual(["registry", "registry-pull"]);
    expect(pull.args).toEqual(["serve", `${CONFIG_DIR}/${PULL_CONFIG_FILE}`]);
    expect(pull.ports).toEqual([{ name: "pull", containerPort: 5001, hostPort: 6003, protocol: "TCP" }]);
    expect(pull.volumeMounts).toEqual(registry.volumeMounts);
    expect(pull.readinessProbe.httpGet).toEqual({ path: "/", port: "pull", scheme: "HTTPS" });
    const data = secretData(rt, "registry-config");
    const config = parseYaml(data[PULL_CONFIG_FILE]);
    expect(config.storage.maintenance.readonly.enabled).toBe(true);
    expect(config.http.addr).toBe(":5001");
    expect(config.auth.htpasswd.path).toBe(`${CONFIG_DIR}/${PULL_HTPASSWD_FILE}`);
    const { value } = await resolve(component.ref.credentials);
    const [[user, hash], ...others] = data[PULL_HTPASSWD_FILE]
      .trim()
      .split("\n")
      .map((line) => line.split(":"));
    expect([user, others]).toEqual(["pull", []]);
    expect(verifySync(value.password, hash)).toBe(true);
    // The push account's htpasswd does not know the pull account.
    expect(data[HTPASSWD_FILE]).not.toContain("pull:");
  });

  it("keeps config.yml and htpasswd in a Secret, with http.secret and a bcrypt hash of the password", () => {
    const wire = wireOf(rt, "kubernetes:core/v1:Secret", "registry-config");
    expect(isSecret(wire.stringData)).toBe(true);
    const data = secretData(rt, "registry-config");
    const config = parseYaml(data[CONFIG_FILE]);
    expect(config.http.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(config.http.addr).toBe(":5000");
    expect(config.storage.filesystem.rootdirectory).toBe("/var/lib/registry");
    expect(config.storage.delete.enabled).toBe(true);
    expect(config.auth.htpasswd.path).toBe(`${CONFIG_DIR}/${HTPASSWD_FILE}`);
    expect(config.storage.maintenance.readonly.enabled).toBe(false);
    expect(parseYaml(data[READONLY_CONFIG_FILE])).toEqual({
      ...config,
      storage: { ...config.storage, maintenance: { readonly: { enabled: true } } },
    });
    const [user, hash] = data[HTPASSWD_FILE].trim().split(":");
    expect(user).toBe("admin");
    expect(verifySync(PASSWORD, hash)).toBe(true);
  });

  it("runs the registry pinned to its node on hostPort 6001, non-root, read-only root, Recreate, probing GET / and, for readiness, a write to its volume", () => {
    const d = deployment(rt, "registry");
    const pod = d.spec.template.spec;
    const [container] = pod.containers;
    expect(d.spec.strategy.type).toBe("Recreate");
    expect(pod.nodeSelector).toEqual({ "kubernetes.io/hostname": "gpu-node-1" });
    expect(container.image).toBe("registry:2.8.3");
    expect(container.ports).toEqual([{ name: "http", containerPort: 5000, hostPort: 6001, protocol: "TCP" }]);
    expect([container.command, container.args]).toEqual([["registry"], ["serve", `${CONFIG_DIR}/${CONFIG_FILE}`]]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/", port: "http", scheme: "HTTPS" });
    expect(container.readinessProbe.exec.command).toEqual(WRITABLE_PROBE);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/", port: "http", scheme: "HTTPS" });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits).toBeDefined();
    // The config Secret is mounted where 2.x reads it, the claim holds the rootdirectory.
    const mounts = Object.fromEntries(container.volumeMounts.map((m: any) => [m.name, m.mountPath]));
    const volumes = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]));
    expect(mounts.config).toBe(CONFIG_DIR);
    expect(volumes.config.secret.secretName).toBe("registry-config");
    expect(mounts.data).toBe(parseYaml(secretData(rt, "registry-config")[CONFIG_FILE]).storage.filesystem.rootdirectory);
    expect(volumes.data.persistentVolumeClaim.claimName).toBe("registry-data");
    const claim = plain(wireOf(rt, "kubernetes:core/v1:PersistentVolumeClaim", "registry-data"));
    expect(claim.spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "50Gi" } },
      storageClassName: "local-path",
    });
  });

  it("puts a plain config checksum on the pod and nothing secret in the Deployment", () => {
    const wire = wireOf(rt, "kubernetes:apps/v1:Deployment", "registry");
    expect(containsSecret(wire)).toBe(false);
    expect(plain(wire).spec.template.metadata.annotations["spark-gpu-stack/config-checksum"]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("runs the UI in proxy mode against the registry Service, delete enabled as the registry allows", () => {
    const d = deployment(rt, "registry-ui");
    const [container] = d.spec.template.spec.containers;
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    const service = plain(wireOf(rt, "kubernetes:core/v1:Service", "registry"));
    expect(env).toMatchObject({
      SINGLE_REGISTRY: "true",
      NGINX_PROXY_PASS_URL: `https://${service.metadata.name}.registry:${service.spec.ports[0].port}`,
      DELETE_IMAGES: "true",
      PULL_URL: "192.0.2.21:6001",
    });
    expect(container.image).toBe("joxit/docker-registry-ui:2.6.0");
    expect(container.ports[0].containerPort).toBe(8080);
    expect(d.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 101 });
    const ui = plain(wireOf(rt, "kubernetes:core/v1:Service", "registry-ui"));
    expect(ui.spec).toMatchObject({ type: "NodePort", ports: [{ nodePort: 30601, targetPort: "http" }] });
    expect(ui.spec.selector).toEqual(d.spec.template.metadata.labels);
  });

  it("gives the GC job only what its procedure uses: switch, watch and exec into the registry", () => {
    const role = plain(wireOf(rt, "kubernetes:rbac.authorization.k8s.io/v1:Role", "registry-gc"));
    expect(role.rules).toEqual([
      { apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["registry"], verbs: ["get", "list", "watch", "patch"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
      { apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"] },
    ]);
    const binding = plain(wireOf(rt, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "registry-gc"));
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "registry-gc", namespace: "registry" }]);
    const cron = plain(wireOf(rt, "kubernetes:batch/v1:CronJob", "registry-gc"));
    expect(cron.spec).toMatchObject({ schedule: "0 3 * * 0", concurrencyPolicy: "Forbid" });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe("registry-gc");
    expect(pod.containers[0].image).toBe("registry.k8s.io/kubectl:v1.32.4");
    expect(pod.volumes[0].configMap.name).toBe("registry-gc");
  });

  it("has a GC script that names the Deployment, container and config files that really exist", () => {
    const script = plain(wireOf(rt, "kubernetes:core/v1:ConfigMap", "registry-gc")).data["gc.sh"] as string;
    const registry = deployment(rt, "registry");
    const patches = [...script.matchAll(/'(\{"spec".*?\})'/g)].map((m) => JSON.parse(m[1]));
    expect(patches).toHaveLength(2);
    const containerNames = registry.spec.template.spec.containers.map((c: any) => c.name);
    const mounted = Object.keys(secretData(rt, "registry-config")).map((file) => `${CONFIG_DIR}/${file}`);
    for (const patch of patches) {
      const [container] = patch.spec.template.spec.containers;
      expect(containerNames).toContain(container.name);
      expect(mounted).toContain(container.args[1]);
    }
    expect(script).toContain(`\nDEPLOYMENT='${registry.metadata.name}'\n`);
    expect(script).toContain(`\nNAMESPACE='${registry.metadata.namespace}'\n`);
    expect(containerNames.map((name: string) => `\nCONTAINER='${name}'\n`).some((line: string) => script.includes(line))).toBe(true);
  });

  it("runs the mirror anonymous, as a pull-through cache of Docker Hub, with the proxy only through secretKeyRef", () => {
    const config = parseYaml(secretData(rt, "registry-mirror-config")[CONFIG_FILE]);
    expect(config.proxy).toEqual({ remoteurl: "https://registry-1.docker.io" });
    expect(config.auth).toBeUndefined();
    const d = deployment(rt, "registry-mirror");
    const [container] = d.spec.template.spec.containers;
    expect(container.ports[0].hostPort).toBe(6002);
    expect(d.spec.template.spec.nodeSelector).toEqual({ "kubernetes.io/hostname": "gpu-node-1" });
    expect(container.env).toEqual([
      { name: "HTTP_PROXY", valueFrom: { secretKeyRef: { name: "registry-mirror-proxy", key: "HTTP_PROXY" } } },
      { name: "HTTPS_PROXY", valueFrom: { secretKeyRef: { name: "registry-mirror-proxy", key: "HTTPS_PROXY" } } },
    ]);
    const proxyWire = wireOf(rt, "kubernetes:core/v1:Secret", "registry-mirror-proxy");
    expect(isSecret(proxyWire.stringData)).toBe(true);
    expect(secretData(rt, "registry-mirror-proxy").HTTPS_PROXY).toBe("http://alice:p%40ss%3Aw%2Frd@proxy.example.com:8080");
  });

  it("shows no credential anywhere once secrets are masked, published files included", async () => {
    const registryOutputs = rt.outputs.get(rt.one("spark-gpu-stack:registry:PrivateRegistry").urn) as any;
    const shown = JSON.stringify([...rt.resources.map((r) => masked(r.wire)), masked(registryOutputs)]);
    const httpSecret = parseYaml(secretData(rt, "registry-config")[CONFIG_FILE]).http.secret;
    for (const leaked of [
      PASSWORD,
      PROXY.password,
      encodeURIComponent(PROXY.password),
      httpSecret,
      secretData(rt, "registry-config")[HTPASSWD_FILE].trim(),
    ]) {
      expect(shown).not.toContain(leaked);
    }
    expect(isSecret(registryOutputs.credentials)).toBe(true);
    const files = masked(registryOutputs).files as Record<string, string>;
    expect(Object.keys(files).sort()).toEqual([
      "registry-gc/gc.sh",
      "registry-mirror/config.yml",
      "registry/config-pull.yml",
      "registry/config-readonly.yml",
      "registry/config.yml",
    ]);
    // The published copy is the real file with http.secret shown as a placeholder.
    expect(files["registry/config.yml"]).toBe(secretData(rt, "registry-config")[CONFIG_FILE].replace(httpSecret, "'[secret]'"));
  });
});

describe("PrivateRegistry (defaults: single-node dev, no password, no proxy)", async () => {
  const { rt, component } = await renderRegistry({});

  it("generates the password (kept in state) and serves on loopback, unpinned, without a mirror", async () => {
    const password = rt.one("random:index/randomPassword:RandomPassword", "registry-password");
    expect(plain(password.wire)).toMatchObject({ length: 32, special: false });
    const { value, secret } = await resolve(component.ref.pushCredentials);
    expect(secret).toBe(true);
    const [, hash] = secretData(rt, "registry-config")[HTPASSWD_FILE].trim().split(":");
    expect(verifySync(value.password, hash)).toBe(true);
    expect((await resolve(component.ref.pushEndpoint)).value).toBe("127.0.0.1:6001");
    expect((await resolve(component.ref.endpoint)).value).toBe("127.0.0.1:6003");
    expect(deployment(rt, "registry").spec.template.spec.nodeSelector).toBeUndefined();
    expect(component.mirrorEndpoint).toBeUndefined();
    expect(rt.ofType("kubernetes:apps/v1:Deployment", "registry-mirror")).toHaveLength(0);
  });
});

describe("PrivateRegistry variations", () => {
  const checksum = (rt: MockRuntime) => deployment(rt, "registry").spec.template.metadata.annotations["spark-gpu-stack/config-checksum"];

  it("renders the same checksum for the same inputs, and a new one when the config changes", async () => {
    const first = checksum((await renderRegistry({}, { password: PASSWORD })).rt);
    const again = checksum((await renderRegistry({}, { password: PASSWORD })).rt);
    const otherPassword = checksum((await renderRegistry({}, { password: "another-password" })).rt);
    const noDelete = checksum((await renderRegistry({ registry: { deleteEnabled: false } }, { password: PASSWORD })).rt);
    expect(again).toBe(first);
    expect(new Set([first, otherPassword, noDelete]).size).toBe(3);
    // Four renders, each hashing three passwords with bcrypt: more than the default 5 s on a loaded machine.
  }, 30_000);

  it("serves HTTPS with the generated certificate: the CA in the ref, HTTPS probes, certificate mounted where config.yml points", async () => {
    const { rt, component } = await renderRegistry(PROD, { password: PASSWORD });
    const tlsSecret = plain(wireOf(rt, "kubernetes:core/v1:Secret", "registry-tls"));
    expect(tlsSecret.type).toBe("kubernetes.io/tls");
    expect(tlsSecret.stringData["ca.crt"]).toBe((await resolve(component.ref.caCertificate!)).value);
    // The key is the certificate's own (parsed by node's crypto, as the registry's Go TLS would).
    const certificate = new X509Certificate(tlsSecret.stringData["tls.crt"]);
    expect(certificate.checkPrivateKey(createPrivateKey(tlsSecret.stringData["tls.key"]))).toBe(true);
    // Kept secret from the provider to the Kubernetes Secret.
    expect(containsSecret(wireOf(rt, "kubernetes:core/v1:Secret", "registry-tls").stringData)).toBe(true);
    for (const server of ["registry", "registry-mirror"]) {
      const pod = deployment(rt, server).spec.template.spec;
      const [container] = pod.containers;
      expect(container.livenessProbe.httpGet.scheme).toBe("HTTPS");
      const tlsMount = container.volumeMounts.find((m: any) => m.name === "tls").mountPath;
      expect(pod.volumes.find((v: any) => v.name === "tls").secret.secretName).toBe("registry-tls");
      const config = secretData(rt, server === "registry" ? "registry-config" : "registry-mirror-config")[CONFIG_FILE];
      expect(parseYaml(config).http.tls).toEqual({ certificate: `${tlsMount}/tls.crt`, key: `${tlsMount}/tls.key` });
    }
    const env = deployment(rt, "registry-ui").spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === "NGINX_PROXY_PASS_URL").value).toBe("https://registry.registry:5000");
  });

  it("issues the serving certificate for the registry's address and node name from its own CA, with private keys as secrets", async () => {
    const { rt } = await renderRegistry(PROD, { password: PASSWORD });
    const key = rt.one("tls:index/privateKey:PrivateKey", "registry-tls-serving");
    expect(plain(key.wire).algorithm).toBe("ED25519");
    expect(isSecret((key.state as any).privateKeyPem)).toBe(true);
    const request = plain(rt.one("tls:index/certRequest:CertRequest", "registry-tls-serving").wire);
    expect(request.ipAddresses).toEqual(["192.0.2.21"]);
    expect(request.dnsNames).toEqual(["gpu-node-1"]);
    const ca = plain(rt.one("tls:index/selfSignedCert:SelfSignedCert", "registry-tls-ca").wire);
    expect(ca.isCaCertificate).toBe(true);
    expect(ca.allowedUses).toEqual(["cert_signing", "crl_signing"]);
    const serving = plain(rt.one("tls:index/locallySignedCert:LocallySignedCert", "registry-tls-serving").wire);
    expect(serving.allowedUses).toEqual(["digital_signature", "server_auth"]);
    expect(serving.caCertPem).toBe(plain(rt.one("tls:index/selfSignedCert:SelfSignedCert", "registry-tls-ca").state).certPem);
  });

  it("serves the user's own certificate instead, and generates none", async () => {
    const provided = { certificate: "CERT PEM", privateKey: "KEY PEM", caCertificate: "CA PEM" };
    const { rt, component } = await renderRegistry(PROD, { password: PASSWORD, providedTls: provided });
    expect(rt.resources.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
    expect(plain(wireOf(rt, "kubernetes:core/v1:Secret", "registry-tls")).stringData).toEqual({
      "tls.crt": "CERT PEM",
      "tls.key": "KEY PEM",
      "ca.crt": "CA PEM",
    });
    expect((await resolve(component.ref.caCertificate!)).value).toBe("CA PEM");
  });

  it("stays plain HTTP on loopback, and with registry.insecure elsewhere, which it warns about", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      for (const raw of [{}, { registry: { ...PROD.registry, insecure: true } }]) {
        const { rt, component } = await renderRegistry(raw, { password: PASSWORD });
        expect(component.ref.caCertificate).toBeUndefined();
        expect(rt.resources.filter((r) => r.type.startsWith("tls:") || r.name === "registry-tls")).toEqual([]);
        expect(deployment(rt, "registry").spec.template.spec.containers[0].livenessProbe.httpGet.scheme).toBe("HTTP");
      }
      expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("registry.insecure"))).toEqual([
        "warning: [runtime] registry.insecure: the registry and its mirror at 192.0.2.21 speak plain HTTP, so every pull sends the registry login in clear text, and every node is told to trust them as insecure registries",
      ]);
    } finally {
      warn.mockRestore();
    }
  }, 30_000);

  it("disables UI deletes with registry deletes, and leaves out the UI and GC when disabled", async () => {
    const { rt, component } = await renderRegistry({ registry: { deleteEnabled: false, gc: { enabled: false } } });
    const env = deployment(rt, "registry-ui").spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === "DELETE_IMAGES").value).toBe("false");
    expect(parseYaml(secretData(rt, "registry-config")[CONFIG_FILE]).storage.delete.enabled).toBe(false);
    expect(rt.ofType("kubernetes:batch/v1:CronJob")).toHaveLength(0);
    expect(component.uiUrl).toBeDefined();
    const withoutUi = await renderRegistry({ registry: { ui: { enabled: false } } });
    expect(withoutUi.rt.ofType("kubernetes:apps/v1:Deployment").map((r) => r.name)).toEqual(["registry"]);
    expect(withoutUi.component.uiUrl).toBeUndefined();
  });

  it("runs the mirror without proxy variables when there is no corporate proxy", async () => {
    const { rt } = await renderRegistry({ registry: { mirror: { enabled: true } } });
    expect(deployment(rt, "registry-mirror").spec.template.spec.containers[0].env).toBeUndefined();
    expect(rt.ofType("kubernetes:core/v1:Secret", "registry-mirror-proxy")).toHaveLength(0);
  });
});
