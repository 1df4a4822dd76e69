// Operator mode's SparkApplication and ScheduledSparkApplication, checked field by field against
// the operator's v1beta2 CRD (a trimmed copy in sparkoperator-v1beta2.fields.json, source cited
// there), their pod templates against core/v1, and their Spark confs against submit mode's.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderOperatorValues, renderSparkApplication, renderSparkApplicationSpec } from "../../components/workload/render-operator";
import { renderPodTemplate } from "../../components/workload/render-pods";
import { submitConfs } from "../../components/workload/render-spark";
import { validateKubernetesObject } from "../harness/kubernetes-schema";
import { app, context, cpuApp, gpuApp } from "./fixtures";

interface ObjectSchema {
  readonly extends?: string;
  readonly required?: string[];
  readonly properties: Record<string, string>;
  readonly enums?: Record<string, string[]>;
  readonly minimums?: Record<string, number>;
}
const CRD: Record<string, ObjectSchema> = JSON.parse(readFileSync(join(__dirname, "sparkoperator-v1beta2.fields.json"), "utf8"));

const JSON_TYPES: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  integer: (v) => Number.isInteger(v),
  boolean: (v) => typeof v === "boolean",
  array: Array.isArray,
  object: (v) => typeof v === "object" && v !== null && !Array.isArray(v),
};

/** Every problem of `value` as an object of CRD type `typeName`; nested CRD types are followed. */
function crdProblems(value: Record<string, unknown>, typeName: string, at: string): string[] {
  const schema = CRD[typeName];
  const properties = { ...(schema.extends ? CRD[schema.extends].properties : {}), ...schema.properties };
  const minimums = { ...(schema.extends ? CRD[schema.extends].minimums : {}), ...schema.minimums };
  const problems = (schema.required ?? []).filter((k) => !(k in value)).map((k) => `${at}.${k}: required`);
  for (const [key, v] of Object.entries(value)) {
    const type = properties[key];
    if (type === undefined) problems.push(`${at}.${key}: not a field of ${typeName}`);
    else if (type === "PodTemplateSpec") {
      const template = v as { metadata?: object; spec?: object };
      try {
        validateKubernetesObject({ apiVersion: "v1", kind: "Pod", ...template } as never);
      } catch (error) {
        problems.push(`${at}.${key}: ${(error as Error).message}`);
      }
    } else if (type in CRD) problems.push(...crdProblems(v as Record<string, unknown>, type, `${at}.${key}`));
    else if (!JSON_TYPES[type](v)) problems.push(`${at}.${key}: expected ${type}, got ${JSON.stringify(v)}`);
    if (schema.enums?.[key] && !schema.enums[key].includes(v as string))
      problems.push(`${at}.${key}: ${JSON.stringify(v)} not one of ${schema.enums[key].join(", ")}`);
    if (minimums[key] !== undefined && (v as number) < minimums[key]) problems.push(`${at}.${key}: below ${minimums[key]}`);
  }
  return problems;
}

describe("SparkApplication", () => {
  it("uses only fields of the operator's v1beta2 CRD, with valid values", () => {
    for (const application of [gpuApp(), cpuApp(), app({ ...cpuApp(), driver: { gpus: 1 } })]) {
      const object = renderSparkApplication(application, context());
      expect(object).toMatchObject({
        apiVersion: "sparkoperator.k8s.io/v1beta2",
        kind: "SparkApplication",
        metadata: { name: application.name, namespace: "spark" },
      });
      expect(crdProblems(object.spec, "SparkApplicationSpec", "spec")).toEqual([]);
    }
  });

  it("the checker finds what the CRD does not allow", () => {
    const spec = { ...renderSparkApplication(gpuApp(), context()).spec, type: "Pyhton", executor: { instances: 0, gpus: 1 } } as Record<
      string,
      unknown
    >;
    delete spec.sparkVersion;
    expect(crdProblems(spec, "SparkApplicationSpec", "spec")).toEqual([
      "spec.sparkVersion: required",
      'spec.type: "Pyhton" not one of Java, Python, Scala, R',
      "spec.executor.instances: below 1",
      "spec.executor.gpus: not a field of ExecutorSpec",
    ]);
  });

  it("carries the same typed spec as submit mode: image, pull secret, service account, resources, GPU confs", () => {
    const ctx = context();
    const spec = renderSparkApplicationSpec(gpuApp(), ctx);
    const submit = submitConfs(gpuApp(), ctx);
    expect(spec).toMatchObject({
      type: "Python",
      pythonVersion: "3",
      mode: "cluster",
      image: submit["spark.kubernetes.container.image"],
      imagePullSecrets: [submit["spark.kubernetes.container.image.pullSecrets"]],
      mainApplicationFile: "local:///opt/spark/app/batch_inference.py",
      arguments: ["--rows", "100000", "--output", "hdfs:///runs/infer"],
      sparkVersion: "4.0.1",
      timeToLiveSeconds: 86400,
      driver: {
        cores: 1,
        memory: submit["spark.driver.memory"],
        serviceAccount: submit["spark.kubernetes.authenticate.driver.serviceAccountName"],
      },
      executor: { instances: 3, cores: 4, memory: submit["spark.executor.memory"], gpu: { name: "nvidia.com/gpu", quantity: 1 } },
    });
    // The operator's gpu{} field does not set Spark's GPU confs: sparkConf carries them, as spark-submit does.
    for (const [key, value] of Object.entries(spec.sparkConf)) expect(submit[key], key).toBe(value);
    expect(spec.sparkConf).toHaveProperty("spark.executor.resource.gpu.discoveryScript");
    expect(spec.sparkConf).toHaveProperty("spark.task.resource.gpu.amount", "0.25");
    expect(spec.executor.template).toEqual({
      metadata: renderPodTemplate(gpuApp(), "executor", ctx).metadata,
      spec: renderPodTemplate(gpuApp(), "executor", ctx).spec,
    });
    expect(spec.driver).not.toHaveProperty("gpu");
  });

  it("runs a JVM application by its main class, and restarts a streaming app as configured", () => {
    const streaming = app({ ...cpuApp(), restartPolicy: { type: "Always", onFailureRetryInterval: 30 } }, { mode: "operator" });
    const spec = renderSparkApplicationSpec(streaming, context({ gpu: undefined }));
    expect(spec).toMatchObject({ type: "Scala", mainClass: "org.apache.spark.examples.SparkPi" });
    expect(spec).not.toHaveProperty("pythonVersion");
    expect(spec.restartPolicy).toEqual({
      type: "Always",
      onFailureRetries: 3,
      onFailureRetryInterval: 30,
      onSubmissionFailureRetries: 5,
      onSubmissionFailureRetryInterval: 20,
    });
    expect(renderSparkApplicationSpec(cpuApp(), context()).restartPolicy).toEqual({ type: "Never" });
  });

  it("becomes a ScheduledSparkApplication that never overlaps for a scheduled application", () => {
    const object = renderSparkApplication(app({ ...cpuApp(), schedule: "*/30 * * * *" }), context());
    expect(object.kind).toBe("ScheduledSparkApplication");
    expect(crdProblems(object.spec, "ScheduledSparkApplicationSpec", "spec")).toEqual([]);
    expect(object.spec).toMatchObject({ schedule: "*/30 * * * *", concurrencyPolicy: "Forbid" });
  });
});

describe("operator chart values", () => {
  it("watch the jobs' namespace and leave the spark service account and Role to the stack", () => {
    expect(renderOperatorValues("spark")).toEqual({
      spark: { jobNamespaces: ["spark"], serviceAccount: { create: false }, rbac: { create: false } },
    });
  });
});
