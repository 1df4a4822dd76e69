// The Spark workload: a namespace with the `spark` service account (namespaced Role, registry pull
// secret), and every configured application, run either by a Job that calls spark-submit (submit
// mode) or by the kubeflow Spark operator (operator mode); and the smoke run, a submit Job in both
// modes that Pulumi waits for. Objects come from the render-* modules.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../cluster";
import { renderNamespace } from "../k8s-common";
import { proxyUrls, type ProxyConfig, type ProxyCredentials } from "../proxy";
import { computeNoProxy, type NoProxyNodes } from "../nodes/no-proxy";
import type { HdfsRef, NodesReadyRef, RegistryRef, SparkImageRef } from "../refs";
import type { GpuNodesRef } from "./gpu";
import { renderDockerConfigJson, renderRole, renderRoleBinding, renderUiService } from "./render-access";
import { OPERATOR_CHART } from "./charts";
import { SPARK_OPERATOR_API_VERSION, renderOperatorValues, renderSparkApplication } from "./render-operator";
import { jvmProxyOptions } from "./render-jvm-proxy";
import { PROXY_SECRET_KEYS } from "./render-pods";
import { SMOKE_AWAIT_MARGIN_SECONDS, renderSmokeJob, smokeApplication } from "./render-smoke";
import { SERVICE_ACCOUNT, type WorkloadContext } from "./render-spark";
import { renderSubmitCronJob, renderSubmitJob, type SubmitConfigMap } from "./render-submit";
import type { SparkApplicationConfig, SparkConfig } from "./schema";

const PULL_SECRET = "spark-registry";
const PROXY_SECRET = "spark-proxy";

export interface SparkWorkloadArgs {
  /** The validated `spark` section. */
  readonly config: SparkConfig;
  /** GPU support, present when `gpu.enabled`: where GPU pods go, and when the device plugin is up. */
  readonly gpu?: GpuNodesRef;
  readonly cluster: ClusterConfig;
  readonly proxy?: ProxyConfig;
  /** Secret proxy credentials; they reach pods only through a Kubernetes Secret. */
  readonly proxyCredentials?: pulumi.Input<ProxyCredentials>;
  readonly image: SparkImageRef;
  readonly registry: RegistryRef;
  /** Applications start only once every node is configured. */
  readonly nodes: NodesReadyRef;
  /** The validated `nodes` section: its hosts (or subnet) are part of the pods' NO_PROXY. */
  readonly nodeNetwork: NoProxyNodes;
  /** When set, `spark.hadoop.fs.defaultFS` points at it and its client settings reach Spark. */
  readonly hdfs?: HdfsRef;
}

/** How to find one application's run in the cluster. */
export interface SparkApplicationOutput {
  readonly kind: "Job" | "CronJob" | "SparkApplication" | "ScheduledSparkApplication";
  readonly name: string;
  /** Service in front of the running driver's UI (port 4040). */
  readonly uiService: string;
}

/** A submitter's files as the component publishes them: under its application's name. */
const underName = (app: SparkApplicationConfig, files: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(files).map(([file, content]) => [`${app.name}/${file}`, content]));

/** The proxy as the pods see it: URLs from a Secret, NO_PROXY and the JVM's options from the same list. */
function proxyContext(proxy: ProxyConfig, noProxy: string[]): WorkloadContext["proxy"] {
  return { secretName: PROXY_SECRET, noProxy: noProxy.join(","), jvmOptions: jvmProxyOptions(proxy, noProxy).join(" ") };
}

export class SparkWorkload extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly serviceAccount: pulumi.Output<string>;
  /** Per application name: the object that runs it and its UI Service. */
  public readonly applications: pulumi.Output<Record<string, SparkApplicationOutput>>;
  /** The files the submitter pods mount, per application and the smoke run (`<app>/<file>`). */
  public readonly files: pulumi.Output<Record<string, string>>;
  /** The smoke run's Job, when `spark.smoke.enabled`: it has succeeded once this resolves. */
  public readonly smokeJob?: pulumi.Output<string>;

  constructor(
    private readonly name: string,
    args: SparkWorkloadArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("spark-gpu-stack:workload:SparkWorkload", name, {}, opts);
    const { config } = args;

    // Every pod here (submitter, driver, executors, the operator's own) runs as the restricted level asks.
    const namespaceObject = new k8s.core.v1.Namespace(`${name}-namespace`, renderNamespace(config.namespace, "restricted"), {
      parent: this,
    });
    const inNamespace = { parent: this, dependsOn: [namespaceObject] };
    this.namespace = namespaceObject.metadata.name;

    const pullSecret = new k8s.core.v1.Secret(
      `${name}-registry-pull`,
      {
        metadata: { name: PULL_SECRET, namespace: this.namespace },
        type: "kubernetes.io/dockerconfigjson",
        stringData: {
          ".dockerconfigjson": pulumi.secret(
            pulumi
              .all([args.registry.endpoint, args.registry.credentials])
              .apply(([endpoint, credentials]) => renderDockerConfigJson(endpoint, credentials)),
          ),
        },
      },
      { parent: this },
    );
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-service-account`,
      { metadata: { name: SERVICE_ACCOUNT, namespace: this.namespace }, imagePullSecrets: [{ name: pullSecret.metadata.name }] },
      { parent: this },
    );
    this.serviceAccount = serviceAccount.metadata.name;
    const role = new k8s.rbac.v1.Role(`${name}-driver-role`, renderRole(SERVICE_ACCOUNT, config.namespace), inNamespace);
    const roleBinding = new k8s.rbac.v1.RoleBinding(
      `${name}-driver-role-binding`,
      renderRoleBinding(SERVICE_ACCOUNT, config.namespace, SERVICE_ACCOUNT),
      {
        parent: this,
        dependsOn: [role, serviceAccount],
      },
    );

    const proxySecret = args.proxy !== undefined ? this.proxySecret(args.proxy, args.proxyCredentials) : undefined;

    const context = pulumi
      .all([
        args.image.imageRef,
        args.registry.endpoint,
        pulumi.output(args.registry.mirrorEndpoint),
        pulumi.output(args.hdfs?.defaultFs),
        // Carried for ordering only: applications wait for the nodes and the device plugin.
        args.nodes.ready,
        pulumi.output(args.gpu?.ready),
      ])
      .apply(([image, endpoint, mirror, defaultFs]): WorkloadContext => {
        const proxy = args.proxy;
        const registryHosts = mirror !== undefined ? [endpoint, mirror] : [endpoint];
        return {
          namespace: config.namespace,
          serviceAccount: SERVICE_ACCOUNT,
          pullSecret: PULL_SECRET,
          image,
          sparkVersion: args.image.sparkVersion,
          jobTtlSeconds: config.jobTtlSeconds,
          pendingTimeoutSeconds: config.pendingTimeoutSeconds,
          ...(args.hdfs !== undefined && defaultFs !== undefined
            ? { hdfs: { defaultFs, clientProperties: args.hdfs.clientProperties } }
            : {}),
          ...(proxy !== undefined
            ? {
                proxy: proxyContext(
                  proxy,
                  computeNoProxy({ cluster: args.cluster, nodes: args.nodeNetwork, registryHosts, extra: proxy.noProxy }),
                ),
              }
            : {}),
          ...(args.gpu !== undefined ? { gpu: args.gpu.scheduling } : {}),
        };
      });

    const runsAfter = [roleBinding, serviceAccount, ...(proxySecret ? [proxySecret] : [])];
    const operator =
      config.mode === "operator"
        ? new k8s.helm.v3.Release(
            `${name}-operator`,
            {
              name: OPERATOR_CHART.release,
              chart: OPERATOR_CHART.chart,
              version: config.operatorChartVersion,
              repositoryOpts: { repo: OPERATOR_CHART.repo },
              namespace: this.namespace,
              values: renderOperatorValues(config.namespace),
            },
            // Helm waits for the operator's pods, whose image needs the configured nodes.
            { parent: this, dependsOn: [...args.nodes.configured] },
          )
        : undefined;

    const applications: Record<string, pulumi.Input<SparkApplicationOutput>> = {};
    const published: pulumi.Output<Record<string, string>>[] = [];
    for (const app of config.applications) {
      const ui = new k8s.core.v1.Service(`${name}-${app.name}-ui`, renderUiService(app.name, config.namespace), inNamespace);
      const run =
        operator !== undefined ? this.operatorRun(app, context, [...runsAfter, operator]) : this.submitRun(app, context, runsAfter);
      applications[app.name] = pulumi.output({ kind: run.kind, name: run.name, uiService: ui.metadata.name });
      if ("files" in run) published.push(run.files);
    }
    this.applications = pulumi.output(applications);

    const smoke = config.smoke.enabled
      ? context.apply((ctx) => smokeApplication(config.smoke, ctx, args.gpu?.nodes.length ?? 0))
      : undefined;
    if (smoke !== undefined) {
      const run = this.smokeRun(smoke, config.smoke.deadlineSeconds, context, runsAfter);
      this.smokeJob = run.name;
      published.push(run.files);
    }

    // What each submitter's ConfigMap holds, published under the application's name.
    this.files = pulumi.all(published).apply((parts): Record<string, string> => Object.assign({}, ...parts));

    this.registerOutputs({
      namespace: this.namespace,
      serviceAccount: this.serviceAccount,
      applications: this.applications,
      files: this.files,
      smokeJob: this.smokeJob,
    });
  }

  /** The smoke run's ConfigMap and Job; Pulumi waits for the Job to succeed, up to its deadline. */
  private smokeRun(
    app: pulumi.Output<SparkApplicationConfig>,
    deadlineSeconds: number,
    context: pulumi.Output<WorkloadContext>,
    dependsOn: pulumi.Resource[],
  ) {
    const rendered = pulumi.all([app, context]).apply(([smokeApp, ctx]) => renderSmokeJob(smokeApp, ctx));
    const configMap = new k8s.core.v1.ConfigMap(
      `${this.name}-smoke-submit`,
      { metadata: rendered.configMap.metadata, data: rendered.configMap.data },
      { parent: this, dependsOn },
    );
    const wait = `${deadlineSeconds + SMOKE_AWAIT_MARGIN_SECONDS}s`;
    const job = new k8s.batch.v1.Job(
      `${this.name}-smoke`,
      { metadata: rendered.run.metadata, spec: rendered.run.spec },
      { parent: this, dependsOn: [...dependsOn, configMap], customTimeouts: { create: wait, update: wait } },
    );
    return {
      name: job.metadata.name,
      files: pulumi.all([app, rendered.configMap.data]).apply(([smokeApp, data]) => underName(smokeApp, data)),
    };
  }

  /** Proxy URLs with their credentials, as a Secret that pod templates reference by key. */
  private proxySecret(proxy: ProxyConfig, credentials: SparkWorkloadArgs["proxyCredentials"]): k8s.core.v1.Secret {
    const urls = pulumi.output(credentials).apply((c) => {
      const { http, https } = proxyUrls(proxy, c);
      return { [PROXY_SECRET_KEYS.http]: http, [PROXY_SECRET_KEYS.https]: https };
    });
    return new k8s.core.v1.Secret(
      `${this.name}-proxy`,
      { metadata: { name: PROXY_SECRET, namespace: this.namespace }, stringData: pulumi.secret(urls) },
      { parent: this },
    );
  }

  /** Submit mode: the submitter's ConfigMap and its Job, or CronJob when scheduled. */
  private submitRun(app: SparkApplicationConfig, context: pulumi.Output<WorkloadContext>, dependsOn: pulumi.Resource[]) {
    const name = `${this.name}-${app.name}`;
    const declareConfigMap = (configMap: pulumi.Output<SubmitConfigMap>) =>
      new k8s.core.v1.ConfigMap(`${name}-submit`, { metadata: configMap.metadata, data: configMap.data }, { parent: this, dependsOn });
    const schedule = app.schedule;
    if (schedule !== undefined) {
      const rendered = context.apply((ctx) => renderSubmitCronJob(app, schedule, ctx));
      const configMap = declareConfigMap(rendered.configMap);
      const cronJob = new k8s.batch.v1.CronJob(
        name,
        { metadata: rendered.run.metadata, spec: rendered.run.spec },
        { parent: this, dependsOn: [...dependsOn, configMap] },
      );
      return {
        kind: "CronJob" as const,
        name: cronJob.metadata.name,
        files: rendered.configMap.data.apply((data) => underName(app, data)),
      };
    }
    const rendered = context.apply((ctx) => renderSubmitJob(app, ctx));
    const configMap = declareConfigMap(rendered.configMap);
    const job = new k8s.batch.v1.Job(
      name,
      { metadata: rendered.run.metadata, spec: rendered.run.spec },
      { parent: this, dependsOn: [...dependsOn, configMap] },
    );
    return { kind: "Job" as const, name: job.metadata.name, files: rendered.configMap.data.apply((data) => underName(app, data)) };
  }

  /** Operator mode: a SparkApplication, or ScheduledSparkApplication when scheduled. */
  private operatorRun(app: SparkApplicationConfig, context: pulumi.Output<WorkloadContext>, dependsOn: pulumi.Resource[]) {
    const rendered = context.apply((ctx) => renderSparkApplication(app, ctx));
    const kind = app.schedule !== undefined ? ("ScheduledSparkApplication" as const) : ("SparkApplication" as const);
    const resource = new k8s.apiextensions.CustomResource(
      `${this.name}-${app.name}`,
      { apiVersion: SPARK_OPERATOR_API_VERSION, kind, metadata: rendered.metadata, spec: rendered.spec },
      { parent: this, dependsOn },
    );
    return { kind, name: resource.metadata.name };
  }
}
