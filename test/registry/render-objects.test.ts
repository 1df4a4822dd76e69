// The registry's spec builders, without the Pulumi runtime: the objects name each other
// consistently (a renamed Secret, claim, Service or ServiceAccount on one side only fails here).
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { CONFIG_DIR, CONFIG_FILE } from "../../components/registry/render";
import {
  GC_SCRIPT_FILE,
  renderGcCronJob,
  renderGcRole,
  renderGcRoleBinding,
  renderGcScriptConfigMap,
  renderGcServiceAccount,
} from "../../components/registry/render-gc-job";
import {
  renderConfigSecret,
  renderDataClaim,
  renderProxySecret,
  renderServerConfig,
  renderServerDeployment,
  renderServerService,
  type Server,
} from "../../components/registry/render-server";
import { renderUiDeployment } from "../../components/registry/render-ui";

const NAMESPACE = "registry";
const server = (name: Server, proxied = false) =>
  renderServerDeployment(name, {
    namespace: NAMESPACE,
    image: "registry:2.8.3",
    hostPort: 6001,
    configChecksum: "0".repeat(64),
    tls: true,
    proxied,
  });

describe("registry spec builders", () => {
  it("mount each server's own config Secret and data claim, and the config file its args serve", () => {
    for (const name of ["registry", "mirror"] as const) {
      const pod = server(name).spec.template.spec;
      const container = pod.containers[0];
      const secret = renderConfigSecret(name, NAMESPACE, { [CONFIG_FILE]: "" });
      expect(pod.volumes).toContainEqual({ name: "config", secret: { secretName: secret.metadata.name, defaultMode: 0o440 } });
      const claim = renderDataClaim(name, NAMESPACE, { size: "1Gi" });
      expect(pod.volumes).toContainEqual({ name: "data", persistentVolumeClaim: { claimName: claim.metadata.name } });
      expect(container.volumeMounts).toContainEqual({ name: "config", mountPath: CONFIG_DIR, readOnly: true });
      expect(container.args).toEqual(["serve", `${CONFIG_DIR}/${Object.keys(secret.stringData)[0]}`]);
      // The data volume is where the rendered config keeps the blobs.
      const dataMount = container.volumeMounts.find((m) => m.name === "data");
      expect(
        parseYaml(renderServerConfig(name === "mirror" ? "mirror" : "read-write", { deleteEnabled: true, tls: true }, "s")),
      ).toMatchObject({ storage: { filesystem: { rootdirectory: dataMount?.mountPath } } });
    }
  });

  it("give the cache its proxy variables from the proxy Secret, by the keys that Secret holds", () => {
    const env = server("mirror", true).spec.template.spec.containers[0].env ?? [];
    const secret = renderProxySecret(NAMESPACE, { HTTP_PROXY: "http://p:8080", HTTPS_PROXY: "http://p:8080" });
    expect(env.map((e) => [e.name, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key])).toEqual(
      Object.keys(secret.stringData).map((key) => [key, secret.metadata.name, key]),
    );
    expect(server("mirror").spec.template.spec.containers[0].env).toBeUndefined();
  });

  it("point the UI at the registry's Service by its name, namespace and port", () => {
    const service = renderServerService(NAMESPACE);
    const env = renderUiDeployment({ namespace: NAMESPACE, version: "2.6.0", address: "h:6001", tls: true, deleteEnabled: true }).spec
      .template.spec.containers[0].env;
    expect(env).toContainEqual({
      name: "NGINX_PROXY_PASS_URL",
      value: `https://${service.metadata.name}.${NAMESPACE}:${service.spec.ports[0].port}`,
    });
    expect(service.spec.selector).toEqual(server("registry").spec.selector.matchLabels);
  });

  it("let the GC job patch only the registry Deployment, as the ServiceAccount it runs under, with the script it mounts", () => {
    const role = renderGcRole(NAMESPACE);
    expect(role.rules[0].resourceNames).toEqual([server("registry").metadata.name]);
    const binding = renderGcRoleBinding(NAMESPACE);
    const account = renderGcServiceAccount(NAMESPACE);
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: account.metadata.name, namespace: NAMESPACE }]);
    const pod = renderGcCronJob({ namespace: NAMESPACE, schedule: "0 3 * * 0", kubectlVersion: "v1.31.0" }).spec.jobTemplate.spec.template
      .spec;
    expect(pod.serviceAccountName).toBe(account.metadata.name);
    const scripts = renderGcScriptConfigMap(NAMESPACE, "#!/bin/sh\n");
    expect(pod.volumes).toContainEqual({ name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: 0o555 } });
    const mount = pod.containers[0].volumeMounts.find((m) => m.name === "scripts");
    expect(pod.containers[0].command).toEqual(["/bin/sh", `${mount?.mountPath}/${GC_SCRIPT_FILE}`]);
    expect(Object.keys(scripts.data)).toEqual([GC_SCRIPT_FILE]);
  });
});
