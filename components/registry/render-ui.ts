// The registry's web UI: joxit/docker-registry-ui proxying /v2 to the registry Service, so the
// browser sees one origin and no CORS is needed. Pure specs; index.ts declares them.
import type { input as Input } from "@pulumi/kubernetes/types";
import { labelsOf, nonRootPodSecurity, unprivilegedContainer } from "../k8s-common";
import { CONTAINER_PORT, SERVER_NAMES } from "./render-server";

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
}

export function renderUiDeployment(input: UiInput) {
  const labels = labelsOf(UI_NAME);
  const scheme = input.tls ? "https" : "http";
  const env: Record<string, string> = {
    SINGLE_REGISTRY: "true",
    NGINX_PROXY_PASS_URL: `${scheme}://${SERVER_NAMES.registry.deployment}.${input.namespace}:${CONTAINER_PORT}`,
    NGINX_LISTEN_PORT: String(UI_PORT),
    DELETE_IMAGES: String(input.deleteEnabled),
    REGISTRY_TITLE: input.address,
    PULL_URL: input.address,
    SHOW_CONTENT_DIGEST: "true",
  };
  return {
    metadata: { name: UI_NAME, namespace: input.namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: nonRootPodSecurity(UI_USER),
          containers: [
            {
              name: "ui",
              image: `joxit/docker-registry-ui:${input.version}`,
              env: Object.entries(env).map(([name, value]) => ({ name, value })),
              ports: [{ name: "http", containerPort: UI_PORT, protocol: "TCP" }],
              readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 10 },
              livenessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 20, failureThreshold: 6 },
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
