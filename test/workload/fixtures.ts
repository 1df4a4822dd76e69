// Applications as the schema fills them in (defaults from the schema, not restated here) and the
// plain context the renderers take, shaped like the prod stack.
import { gpuScheduling } from "../../components/workload/render-gpu";
import { jvmProxyOptions } from "../../components/workload/render-jvm-proxy";
import type { WorkloadContext } from "../../components/workload/render-spark";
import type { SparkApplicationConfig } from "../../components/workload/schema";
import { acceptedConfig } from "../harness/config";

const NO_PROXY = ["localhost", "127.0.0.1", "10.244.0.0/16", "10.96.0.0/12", ".svc", "kubernetes.default.svc"];

export const DIGEST_IMAGE = `192.0.2.21:6001/spark-pytorch@sha256:${"ab".repeat(32)}`;

/** Validated `spark.applications` and `gpu` sections, with GPU support on. */
export function configured(applications: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return acceptedConfig({ gpu: { enabled: true, runtimeClass: true }, spark: { applications, ...extra } });
}

export function app(raw: Record<string, unknown>, spark: Record<string, unknown> = {}): SparkApplicationConfig {
  return configured([raw], spark).spark.applications[0];
}

/** The seed's sample: PyTorch inference on GPU executors, four tasks per GPU. */
export const gpuApp = () =>
  app({
    name: "infer",
    mainFile: "local:///opt/spark/app/batch_inference.py",
    arguments: ["--rows", "100000", "--output", "hdfs:///runs/infer"],
    executor: { instances: 3, cores: 4, memory: "8Gi", gpus: 1 },
    taskGpus: 0.25,
    sparkConf: { "spark.sql.shuffle.partitions": 24 },
    env: { TORCH_HOME: "/opt/spark/work-dir/torch" },
  });

export const cpuApp = () =>
  app({
    name: "pi",
    mainFile: "local:///opt/spark/examples/jars/spark-examples_2.13-4.0.1.jar",
    mainClass: "org.apache.spark.examples.SparkPi",
    arguments: ["1000"],
  });

export function context(overrides: Partial<WorkloadContext> = {}): WorkloadContext {
  return {
    namespace: "spark",
    serviceAccount: "spark",
    pullSecret: "spark-registry",
    image: DIGEST_IMAGE,
    sparkVersion: "4.0.1",
    jobTtlSeconds: 86400,
    pendingTimeoutSeconds: 600,
    hdfs: {
      defaultFs: "hdfs://hdfs-namenode.hdfs.svc.cluster.local:8020",
      clientProperties: { "dfs.replication": "2", "dfs.blocksize": "268435456" },
    },
    proxy: {
      secretName: "spark-proxy",
      noProxy: NO_PROXY.join(","),
      jvmOptions: jvmProxyOptions({ http: "http://proxy.example.com:8080", noProxy: [] }, NO_PROXY).join(" "),
    },
    gpu: gpuScheduling(configured([]).gpu),
    ...overrides,
  };
}

/** spark-submit's argv read back: options, every --conf (a key may repeat: kept as a list), the rest. */
export function parseSubmitArgv(argv: readonly string[]) {
  const options = new Map<string, string>();
  const confs = new Map<string, string[]>();
  let i = 0;
  for (; i < argv.length && argv[i].startsWith("--"); i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--conf") {
      const eq = value.indexOf("=");
      const key = value.slice(0, eq);
      confs.set(key, [...(confs.get(key) ?? []), value.slice(eq + 1)]);
    } else {
      if (options.has(flag)) throw new Error(`${flag} given twice`);
      options.set(flag, value);
    }
  }
  return { options, confs, mainFile: argv[i], appArguments: argv.slice(i + 1) };
}
