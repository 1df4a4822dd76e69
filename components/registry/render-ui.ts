// The registry's web UI: joxit/docker-registry-ui proxying /v2 to the registry Service, so the
// browser sees one origin and no CORS is needed. Pure specs; index.ts declares them.
import type { input as Input } from "@pulumi/kubernetes/types";
import { labelsOf, nonRootPodSecurity, unprivilegedContainer } from "../k8s-common";
import { CONTAINER_PORT, SERVER_NAMES, type NodeListen } from "./render-server";

/** The `nginx` user of the UI image: nginx then listens on 8080 (joxit/docker-registry-ui #224). */
const UI_USER = { uid: 101, gid: 101 };
export const UI_PORT = 8080;
/** The UI's Deployment and Service. */
export const UI_NAME = "registry-ui";

export interface UiInput {
  readonly namespace: string;
  readonly version: string;
  /** `host:port` the registry is pulled from: the UI's title and its pull commands. */
  readonly address: string;
  readonly tls: boolean;
  readonly deleteEnabled: boolean;
  /**
   * The registry listens on its node (NodeListen): the UI runs on that node's network too, proxies
   * to the registry's loopback address and serves at `nodePort` on the same address, with no Service.
   */
  readonly node?: NodeListen & { readonly nodePort: number };
}

export function renderUiDeployment(input: UiInput) {
  const labels = labelsOf(UI_NAME);
  const scheme = input.tls ? "https" : "http";
  const { node } = input;
  const port = node?.nodePort ?? UI_PORT;
  const env: Record<string, string> = {
    SINGLE_REGISTRY: "true",
    NGINX_PROXY_PASS_URL: node
      ? `${scheme}://${node.loopback}:${node.port}`
      : `${scheme}://${SERVER_NAMES.registry.deployment}.${input.namespace}:${CONTAINER_PORT}`,
    // The image's entrypoint writes this into nginx's `listen`, so it may carry an address.
    NGINX_LISTEN_PORT: node ? `${node.address}:${port}` : String(port),
    DELETE_IMAGES: String(input.deleteEnabled),
    REGISTRY_TITLE: input.address,
    PULL_URL: input.address,
    SHOW_CONTENT_DIGEST: "true",
  };
  const httpGet = { path: "/", port: "http", ...(node ? { host: node.loopback } : {}) };
  return {
    metadata: { name: UI_NAME, namespace: input.namespace, labels },
    spec: {
      replicas: 1,
      // One port on the node: a surge pod could never schedule beside the old one.
      ...(node ? { strategy: { type: "Recreate" } } : {}),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(node ? { hostNetwork: true } : {}),
          securityContext: nonRootPodSecurity(UI_USER),
          containers: [
            {
              name: "ui",
              image: `joxit/docker-registry-ui:${input.version}`,
              env: Object.entries(env).map(([name, value]) => ({ name, value })),
              ports: [{ name: "http", containerPort: port, ...(node ? { hostPort: port } : {}), protocol: "TCP" }],
              readinessProbe: { httpGet, periodSeconds: 10 },
              livenessProbe: { httpGet, periodSeconds: 20, failureThreshold: 6 },
              resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
              // Not read-only: the image's entrypoint writes the settings into its nginx config and index.html.
              securityContext: unprivilegedContainer(),
            },
          ],
        },
      },
    },
  } satisfies Input.apps.v1.Deployment;
}

export function renderUiService(namespace: string, nodePort: number) {
  const labels = labelsOf(UI_NAME);
  return {
    metadata: { name: UI_NAME, namespace, labels },
    spec: { type: "NodePort", selector: labels, ports: [{ name: "http", port: 80, targetPort: "http", nodePort }] },
  } satisfies Input.core.v1.Service;
}
