// The private registry (CNCF distribution) the seed ran by hand on port 6001, now declared: its own
// namespace, config and htpasswd in a Secret, a PVC, a hostPort on one node, a web UI in proxy
// mode, scheduled garbage collection that never races a push, and an optional Docker Hub cache.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { keyedChecksum } from "../checksum";
import { proxyUrls, type ProxyConfig, type ProxyCredentials } from "../proxy";
import type { NodesReadyRef, RegistryRef } from "../refs";
import {
  BCRYPT_SALT_BYTES,
  CONFIG_DIR,
  CONFIG_FILE,
  DOCKER_HUB_URL,
  HTPASSWD_FILE,
  READONLY_CONFIG_FILE,
  renderGcScript,
  renderHtpasswd,
  registryAddress,
  renderRegistryConfig,
  type RegistryConfigInput,
} from "./render";
import type { RegistryConfig } from "./schema";

export interface PrivateRegistryArgs {
  /** The validated `registry` section (defaults already applied by the schema). */
  readonly config: RegistryConfig;
  /** Corporate proxy, for the Docker Hub pull-through cache. */
  readonly proxy?: ProxyConfig;
  readonly proxyCredentials?: pulumi.Input<ProxyCredentials>;
  /** Registry password; generated when absent. */
  readonly password?: pulumi.Input<string>;
  /** The configured nodes: the registry, cache and UI pods start after them (their images come through the proxy). */
  readonly nodes?: NodesReadyRef;
}

/** The port distribution listens on inside its pod; the node-facing port is the hostPort. */
const CONTAINER_PORT = 5000;
const DATA_DIR = "/var/lib/registry";
const TLS_DIR = "/certs";
/** The registry image's own user is root; it needs none of root's powers. */
const REGISTRY_UID = 1000;
/** The `nginx` user of the UI image: nginx then listens on 8080 (joxit/docker-registry-ui #224). */
const UI_UID = 101;
const UI_PORT = 8080;
/** The nonroot user of registry.k8s.io images. */
const KUBECTL_UID = 65532;
/** Longest wait for each switch of the registry pod during GC. */
const GC_ROLLOUT_TIMEOUT_SECONDS = 300;
/** Stands for http.secret in the copies of the files published as the `files` output. */
const SECRET_SHOWN_AS = "[secret]";
const PART_OF = { "app.kubernetes.io/part-of": "spark-gpu-stack" };

const labelsOf = (name: string) => ({ "app.kubernetes.io/name": name, ...PART_OF });

const dropEverything = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

interface RegistryPodInput {
  readonly name: string;
  readonly namespace: pulumi.Input<string>;
  readonly image: string;
  readonly configSecret: pulumi.Input<string>;
  readonly dataClaim: pulumi.Input<string>;
  readonly hostPort: number;
  readonly node?: string;
  readonly tlsSecret?: string;
  /** Hash of the mounted configuration: the pod rolls when, and only when, it changes. */
  readonly configChecksum: pulumi.Input<string>;
  /** Secret holding HTTP_PROXY/HTTPS_PROXY (credentials inside) for the pull-through cache. */
  readonly proxySecret?: pulumi.Input<string>;
}

/** One distribution server: the registry itself and the pull-through cache are both this. */
function registryDeploymentArgs(input: RegistryPodInput): k8s.apps.v1.DeploymentArgs {
  const scheme = input.tlsSecret ? "HTTPS" : "HTTP";
  const probe = (periodSeconds: number, failureThreshold: number) => ({
    // `GET /` answers 200 without credentials; the storage health check turns it into 503.
    httpGet: { path: "/", port: "http", scheme },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 5,
  });
  const labels = labelsOf(input.name);
  return {
    metadata: { name: input.name, namespace: input.namespace, labels },
    spec: {
      replicas: 1,
      // One RWO volume and one hostPort: the old pod must be gone before the new one starts.
      strategy: { type: "Recreate" },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { "spark-gpu-stack/config-checksum": input.configChecksum } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(input.node ? { nodeSelector: { "kubernetes.io/hostname": input.node } } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: REGISTRY_UID,
            runAsGroup: REGISTRY_UID,
            fsGroup: REGISTRY_UID,
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: "registry",
              image: input.image,
              command: ["registry"],
              // The GC procedure switches these args to the read-only config and back.
              args: ["serve", `${CONFIG_DIR}/${CONFIG_FILE}`],
              ports: [{ name: "http", containerPort: CONTAINER_PORT, hostPort: input.hostPort, protocol: "TCP" }],
              env: input.proxySecret
                ? ["HTTP_PROXY", "HTTPS_PROXY"].map((name) => ({
                    name,
                    valueFrom: { secretKeyRef: { name: input.proxySecret!, key: name } },
                  }))
                : undefined,
              readinessProbe: probe(10, 3),
              livenessProbe: probe(20, 6),
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "1Gi" } },
              securityContext: { ...dropEverything, readOnlyRootFilesystem: true },
              volumeMounts: [
                { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                { name: "data", mountPath: DATA_DIR },
                ...(input.tlsSecret ? [{ name: "tls", mountPath: TLS_DIR, readOnly: true }] : []),
              ],
            },
          ],
          volumes: [
            { name: "config", secret: { secretName: input.configSecret, defaultMode: 0o440 } },
            { name: "data", persistentVolumeClaim: { claimName: input.dataClaim } },
            ...(input.tlsSecret ? [{ name: "tls", secret: { secretName: input.tlsSecret, defaultMode: 0o440 } }] : []),
          ],
        },
      },
    },
  };
}

export class PrivateRegistry extends pulumi.ComponentResource {
  public readonly ref: RegistryRef;
  public readonly namespace: pulumi.Output<string>;
  /** `http://<host>:<nodePort>/` of the web UI, when enabled. */
  public readonly uiUrl?: pulumi.Output<string>;
  /** `host:port` of the Docker Hub pull-through cache, when enabled (also in `ref`). */
  public readonly mirrorEndpoint?: pulumi.Output<string>;

  /** Options of the Deployments: their images need the configured nodes. */
  private readonly podOptions: pulumi.CustomResourceOptions;

  constructor(name: string, args: PrivateRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:registry:PrivateRegistry", name, {}, opts);
    const { config } = args;
    const parent = { parent: this };
    this.podOptions = { parent: this, dependsOn: [...(args.nodes?.configured ?? [])] };
    const image = `registry:${config.version}`;
    const tls = config.tls ? { certificate: `${TLS_DIR}/tls.crt`, key: `${TLS_DIR}/tls.key` } : undefined;

    const ns = new k8s.core.v1.Namespace("registry", { metadata: { name: config.namespace, labels: PART_OF } }, parent);
    const namespace = ns.metadata.name;

    // Secrets drawn once and kept in the Pulumi state: the same password, salt and http.secret on
    // every run, so the rendered files, and therefore the pod, change only when the config does.
    const password = args.password
      ? pulumi.secret(args.password)
      : new random.RandomPassword("registry-password", { length: 32, special: false }, parent).result;
    const salt = new random.RandomBytes("registry-htpasswd-salt", { length: BCRYPT_SALT_BYTES }, parent).base64;
    const httpSecret = new random.RandomBytes("registry-http-secret", { length: 32 }, parent).hex;

    // The three configuration files, as functions of http.secret (the only secret in them).
    const renderers = {
      [CONFIG_FILE]: (secret: string) => renderRegistryConfig(serverConfig(secret, false)),
      [READONLY_CONFIG_FILE]: (secret: string) => renderRegistryConfig(serverConfig(secret, true)),
      mirror: (secret: string) =>
        renderRegistryConfig({ ...serverConfig(secret, false), htpasswdPath: undefined, proxyRemoteUrl: DOCKER_HUB_URL }),
    };
    function serverConfig(secret: string, readOnly: boolean): RegistryConfigInput {
      return {
        rootDirectory: DATA_DIR,
        httpAddr: `:${CONTAINER_PORT}`,
        httpSecret: secret,
        deleteEnabled: config.deleteEnabled,
        readOnly,
        htpasswdPath: `${CONFIG_DIR}/${HTPASSWD_FILE}`,
        tls,
      };
    }
    const configYml = httpSecret.apply(renderers[CONFIG_FILE]);
    const readOnlyConfigYml = httpSecret.apply(renderers[READONLY_CONFIG_FILE]);
    const htpasswd = pulumi.all([password, salt]).apply(([p, s]) => renderHtpasswd(config.username, p, Buffer.from(s, "base64")));

    const configSecret = new k8s.core.v1.Secret(
      "registry-config",
      {
        metadata: { name: "registry-config", namespace, labels: labelsOf("registry") },
        stringData: { [CONFIG_FILE]: configYml, [READONLY_CONFIG_FILE]: readOnlyConfigYml, [HTPASSWD_FILE]: htpasswd },
      },
      parent,
    );
    const claim = (claimName: string, storage: RegistryConfig["storage"]) =>
      new k8s.core.v1.PersistentVolumeClaim(
        claimName,
        {
          metadata: { name: claimName, namespace, labels: PART_OF },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: storage.size } },
            storageClassName: storage.storageClass,
          },
        },
        parent,
      );
    const data = claim("registry-data", config.storage);

    const registry = new k8s.apps.v1.Deployment(
      "registry",
      registryDeploymentArgs({
        name: "registry",
        namespace,
        image,
        configSecret: configSecret.metadata.name,
        dataClaim: data.metadata.name,
        hostPort: config.port,
        node: config.node,
        tlsSecret: config.tls?.secretName,
        configChecksum: keyedChecksum(httpSecret, [configYml, readOnlyConfigYml, htpasswd]),
      }),
      this.podOptions,
    );
    const service = new k8s.core.v1.Service(
      "registry",
      {
        metadata: { name: "registry", namespace, labels: labelsOf("registry") },
        spec: { selector: labelsOf("registry"), ports: [{ name: "http", port: CONTAINER_PORT, targetPort: "http" }] },
      },
      parent,
    );
    const { address, insecure, mirrorAddress } = registryAddress(config);

    if (config.ui.enabled) {
      const ui = this.webUi(namespace, service.metadata.name, address, config);
      this.uiUrl = ui.metadata.apply(() => `http://${config.host}:${config.ui.nodePort}/`);
    }
    const gcScript = renderGcScript({
      namespace: config.namespace,
      deployment: "registry",
      container: "registry",
      deleteUntagged: config.gc.deleteUntagged,
      rolloutTimeoutSeconds: GC_ROLLOUT_TIMEOUT_SECONDS,
    });
    if (config.gc.enabled) this.garbageCollection(namespace, registry, gcScript, config);

    if (mirrorAddress !== undefined) {
      const mirror = this.mirror(
        namespace,
        image,
        httpSecret.apply(renderers.mirror),
        httpSecret,
        claim("registry-mirror-data", config.mirror.storage),
        args,
      );
      this.mirrorEndpoint = mirror.metadata.apply(() => mirrorAddress);
    }

    this.namespace = namespace;
    this.ref = {
      address,
      mirrorAddress,
      insecure,
      // Resolves once the Deployment is ready, so nothing pushes or pulls before the registry answers.
      endpoint: registry.metadata.apply(() => address),
      credentials: pulumi.secret(pulumi.output(password).apply((p) => ({ username: config.username, password: p }))),
      mirrorEndpoint: this.mirrorEndpoint,
    };
    this.registerOutputs({
      endpoint: this.ref.endpoint,
      credentials: this.ref.credentials,
      namespace: this.namespace,
      uiUrl: this.uiUrl,
      mirrorEndpoint: this.mirrorEndpoint,
      // What lands in the containers, for `npm run render`; the real files exist only in Secrets.
      files: {
        [`registry/${CONFIG_FILE}`]: renderers[CONFIG_FILE](SECRET_SHOWN_AS),
        [`registry/${READONLY_CONFIG_FILE}`]: renderers[READONLY_CONFIG_FILE](SECRET_SHOWN_AS),
        ...(config.gc.enabled ? { "registry-gc/gc.sh": gcScript } : {}),
        ...(config.mirror.enabled ? { [`registry-mirror/${CONFIG_FILE}`]: renderers.mirror(SECRET_SHOWN_AS) } : {}),
      },
    });
  }

  /** joxit/docker-registry-ui proxying /v2 to the registry Service: same origin, so no CORS. */
  private webUi(
    namespace: pulumi.Output<string>,
    registryService: pulumi.Output<string>,
    endpoint: string,
    config: RegistryConfig,
  ): k8s.core.v1.Service {
    const parent = { parent: this };
    const labels = labelsOf("registry-ui");
    const scheme = config.tls ? "https" : "http";
    const env: Record<string, pulumi.Input<string>> = {
      SINGLE_REGISTRY: "true",
      NGINX_PROXY_PASS_URL: pulumi.interpolate`${scheme}://${registryService}.${namespace}:${CONTAINER_PORT}`,
      NGINX_LISTEN_PORT: String(UI_PORT),
      DELETE_IMAGES: String(config.deleteEnabled),
      REGISTRY_TITLE: endpoint,
      PULL_URL: endpoint,
      SHOW_CONTENT_DIGEST: "true",
    };
    new k8s.apps.v1.Deployment(
      "registry-ui",
      {
        metadata: { name: "registry-ui", namespace, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: { runAsNonRoot: true, runAsUser: UI_UID, runAsGroup: UI_UID, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "ui",
                  image: `joxit/docker-registry-ui:${config.ui.version}`,
                  env: Object.entries(env).map(([envName, value]) => ({ name: envName, value })),
                  ports: [{ name: "http", containerPort: UI_PORT, protocol: "TCP" }],
                  readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 10 },
                  livenessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 20, failureThreshold: 6 },
                  resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                  // Not read-only: the image's entrypoint writes the settings into its nginx config and index.html.
                  securityContext: dropEverything,
                },
              ],
            },
          },
        },
      },
      this.podOptions,
    );
    return new k8s.core.v1.Service(
      "registry-ui",
      {
        metadata: { name: "registry-ui", namespace, labels },
        spec: { type: "NodePort", selector: labels, ports: [{ name: "http", port: 80, targetPort: "http", nodePort: config.ui.nodePort }] },
      },
      parent,
    );
  }

  /**
   * A CronJob running the rendered GC procedure with kubectl. Its ServiceAccount may only switch
   * the registry Deployment's args, wait for it, and exec `registry garbage-collect` in its pod.
   */
  private garbageCollection(
    namespace: pulumi.Output<string>,
    registry: k8s.apps.v1.Deployment,
    script: string,
    config: RegistryConfig,
  ): void {
    const parent = { parent: this };
    const name = "registry-gc";
    const labels = labelsOf(name);
    const account = new k8s.core.v1.ServiceAccount(name, { metadata: { name, namespace, labels } }, parent);
    const role = new k8s.rbac.v1.Role(
      name,
      {
        metadata: { name, namespace, labels },
        rules: [
          // patch: switch the config file; get/list/watch: `rollout status` and resolving `exec deployment/…`.
          {
            apiGroups: ["apps"],
            resources: ["deployments"],
            resourceNames: [registry.metadata.name],
            verbs: ["get", "list", "watch", "patch"],
          },
          { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
          // create: exec over SPDY and, from Kubernetes 1.31, over WebSocket; get: WebSocket before 1.31.
          { apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"] },
        ],
      },
      parent,
    );
    new k8s.rbac.v1.RoleBinding(
      name,
      {
        metadata: { name, namespace, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace }],
      },
      parent,
    );
    const scripts = new k8s.core.v1.ConfigMap(name, { metadata: { name, namespace, labels }, data: { "gc.sh": script } }, parent);
    new k8s.batch.v1.CronJob(
      name,
      {
        metadata: { name, namespace, labels },
        spec: {
          schedule: config.gc.schedule,
          concurrencyPolicy: "Forbid",
          successfulJobsHistoryLimit: 1,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            spec: {
              // A failed collection is reported, not retried: the next schedule tries again.
              backoffLimit: 0,
              activeDeadlineSeconds: 3600,
              template: {
                metadata: { labels },
                spec: {
                  serviceAccountName: account.metadata.name,
                  restartPolicy: "Never",
                  // Room for the script's exit trap to put the registry back to read-write.
                  terminationGracePeriodSeconds: GC_ROLLOUT_TIMEOUT_SECONDS + 30,
                  securityContext: {
                    runAsNonRoot: true,
                    runAsUser: KUBECTL_UID,
                    runAsGroup: KUBECTL_UID,
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                  containers: [
                    {
                      name: "gc",
                      image: `registry.k8s.io/kubectl:${config.gc.kubectlVersion}`,
                      command: ["/bin/sh", "/scripts/gc.sh"],
                      // kubectl keeps its discovery cache under $HOME.
                      env: [{ name: "HOME", value: "/tmp" }],
                      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                      securityContext: { ...dropEverything, readOnlyRootFilesystem: true },
                      volumeMounts: [
                        { name: "scripts", mountPath: "/scripts", readOnly: true },
                        { name: "tmp", mountPath: "/tmp" },
                      ],
                    },
                  ],
                  volumes: [
                    { name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: 0o555 } },
                    { name: "tmp", emptyDir: {} },
                  ],
                },
              },
            },
          },
        },
      },
      parent,
    );
  }

  /**
   * The Docker Hub pull-through cache: a second distribution server with `proxy.remoteurl`,
   * anonymous (it only serves public images and refuses pushes), reaching Docker Hub through the
   * corporate proxy whose URL, credentials included, only exists in a Secret.
   */
  private mirror(
    namespace: pulumi.Output<string>,
    image: string,
    configYml: pulumi.Output<string>,
    checksumKey: pulumi.Output<string>,
    data: k8s.core.v1.PersistentVolumeClaim,
    args: PrivateRegistryArgs,
  ): k8s.apps.v1.Deployment {
    const parent = { parent: this };
    const { config, proxy } = args;
    const labels = labelsOf("registry-mirror");
    const configSecret = new k8s.core.v1.Secret(
      "registry-mirror-config",
      { metadata: { name: "registry-mirror-config", namespace, labels }, stringData: { [CONFIG_FILE]: configYml } },
      parent,
    );
    const proxyEnv = proxy
      ? pulumi.secret(
          pulumi.output(args.proxyCredentials).apply((credentials) => {
            const urls = proxyUrls(proxy, credentials);
            return { HTTP_PROXY: urls.http, HTTPS_PROXY: urls.https };
          }),
        )
      : undefined;
    const proxySecret = proxyEnv
      ? new k8s.core.v1.Secret(
          "registry-mirror-proxy",
          { metadata: { name: "registry-mirror-proxy", namespace, labels }, stringData: proxyEnv },
          parent,
        )
      : undefined;
    return new k8s.apps.v1.Deployment(
      "registry-mirror",
      registryDeploymentArgs({
        name: "registry-mirror",
        namespace,
        image,
        configSecret: configSecret.metadata.name,
        dataClaim: data.metadata.name,
        hostPort: config.mirror.port,
        node: config.node,
        tlsSecret: config.tls?.secretName,
        proxySecret: proxySecret?.metadata.name,
        configChecksum: keyedChecksum(checksumKey, [configYml, ...(proxyEnv ? [proxyEnv.apply((env) => JSON.stringify(env))] : [])]),
      }),
      this.podOptions,
    );
  }
}
