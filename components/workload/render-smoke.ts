// The smoke run: a Spark application from the image's app/smoke.py, submitted like any other but
// awaited by Pulumi, so `pulumi up` ends with proof that GPUs, HDFS and the pushed image work
// (README, "Smoke run"). Pure values; index.ts declares them.
import { IMAGE_PATHS } from "../image/render";
import { SMOKE_APPLICATION } from "./managed";
import type { WorkloadContext } from "./render-spark";
import { renderSubmitJob } from "./render-submit";
import type { SparkApplicationConfig, SparkConfig } from "./schema";

/** Where the smoke run writes and reads back through fs.defaultFS; each run overwrites the last. */
export const SMOKE_HDFS_DIR = "/tmp/spark-gpu-stack-smoke";
/** Room after the run's deadline before Pulumi stops waiting: the Job reports its own failure first. */
export const SMOKE_AWAIT_MARGIN_SECONDS = 60;

/** `host:port/repo@sha256:…` → `sha256:…`. */
export function imageDigest(image: string): string {
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1];
  if (digest === undefined) throw new Error(`imageDigest: ${image} is not pinned by digest`);
  return digest;
}

/**
 * The smoke application: as many executors as GPU nodes (at least one; the scheduler may still put
 * two on a node with several GPUs), each with one GPU when GPU support is on; the tasks start only
 * once every executor is up, one per executor.
 */
export function smokeApplication(smoke: SparkConfig["smoke"], context: WorkloadContext, gpuNodes: number): SparkApplicationConfig {
  const gpus = context.gpu !== undefined ? 1 : 0;
  const instances = Math.max(1, gpuNodes);
  return {
    name: SMOKE_APPLICATION,
    mainFile: `local://${IMAGE_PATHS.app}/smoke.py`,
    arguments: [
      "--expected-digest",
      imageDigest(context.image),
      "--executors",
      String(instances),
      "--gpus-per-executor",
      String(gpus),
      ...(context.hdfs !== undefined ? ["--hdfs-dir", SMOKE_HDFS_DIR] : []),
    ],
    driver: { cores: 1, memory: "1Gi", gpus: 0 },
    executor: { cores: 1, memory: "2Gi", gpus, instances },
    taskGpus: 1,
    sparkConf: {
      "spark.scheduler.minRegisteredResourcesRatio": "1.0",
      "spark.scheduler.maxRegisteredResourcesWaitingTime": `${smoke.deadlineSeconds}s`,
    },
    env: {},
    deadlineSeconds: smoke.deadlineSeconds,
    restartPolicy: {
      type: "Never",
      onFailureRetries: 0,
      onFailureRetryInterval: 1,
      onSubmissionFailureRetries: 0,
      onSubmissionFailureRetryInterval: 1,
    },
  };
}

/**
 * The smoke run's ConfigMap and Job. Unlike an application's Job, Pulumi waits for it and fails the
 * update with it. Its name changes with the image digest (and anything else it runs with), so each
 * new image is proven once; a failed run is replaced on the next update rather than awaited again.
 */
export function renderSmokeJob(app: SparkApplicationConfig, context: WorkloadContext) {
  const { configMap, run } = renderSubmitJob(app, context);
  return { configMap, run: { ...run, metadata: { ...run.metadata, annotations: { "pulumi.com/replaceUnready": "true" } } } };
}
