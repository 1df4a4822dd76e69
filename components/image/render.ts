// Pure values for the Spark + PyTorch image: what the base image tags say, the build args the
// Dockerfile takes, the name pushed to the private registry. The component only wires these.
import { proxyUrls, type ProxyConfig, type ProxyCredentials } from "../proxy";

/** Build context and Dockerfile, relative to the project directory (Pulumi's working directory). */
export const BUILD_CONTEXT = "images/spark-pytorch";
export const DOCKERFILE = `${BUILD_CONTEXT}/Dockerfile`;
/** Every node of the seed's cluster is x86-64; the CUDA wheels of the PyTorch images are too. */
export const PLATFORM = "linux/amd64";

/** Where the image keeps what Spark on Kubernetes refers to by path. */
export const IMAGE_PATHS = {
  sparkHome: "/opt/spark",
  /** Spark's own GPU discovery script (for `spark.executor.resource.gpu.discoveryScript`). */
  gpuDiscoveryScript: "/opt/spark/examples/src/main/scripts/getGpusResources.sh",
  /** The sample application (`local://` paths for spark-submit). */
  app: "/opt/spark/app",
  sampleJob: "/opt/spark/app/batch_inference.py",
} as const;

// Official apache/spark tags: 4.0.1-scala2.13-java17-ubuntu, 3.5.8-scala2.12-java17-python3-ubuntu, …
const SPARK_TAG = /^(\d+\.\d+\.\d+)-scala(\d+\.\d+)-java(\d+)(?:-python3)?(?:-r)?-ubuntu$/;
// Official pytorch/pytorch runtime tags: 2.9.1-cuda12.8-cudnn9-runtime, …
const PYTORCH_TAG = /^(\d+\.\d+\.\d+)-cuda(\d+\.\d+)-cudnn(\d+)-runtime$/;
// `name:tag`, optionally `@sha256:…` after it; the tag is what the versions are read from.
const TAGGED_REFERENCE = /^([a-z0-9][a-z0-9._\-/:]*?):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})(@sha256:[0-9a-f]{64})?$/;
/** A reference pinned by content: `name[:tag]@sha256:<64 hex>`. */
const DIGEST_REFERENCE = /^([a-z0-9][a-z0-9._\-/:]*)@sha256:[0-9a-f]{64}$/;

function tagOf(reference: string): string | undefined {
  return TAGGED_REFERENCE.exec(reference)?.[2];
}

export interface SparkImageFacts {
  readonly sparkVersion: string;
  readonly scalaVersion: string;
  /** Java major version of the Spark build: the JRE the final image installs. */
  readonly javaVersion: string;
}

/** Versions read from an official Spark image tag; undefined when the tag is not of that form. */
export function sparkImageFacts(reference: string): SparkImageFacts | undefined {
  const m = SPARK_TAG.exec(tagOf(reference) ?? "");
  return m ? { sparkVersion: m[1], scalaVersion: m[2], javaVersion: m[3] } : undefined;
}

export interface PytorchImageFacts {
  readonly torchVersion: string;
  readonly cudaVersion: string;
}

/** Versions read from an official PyTorch runtime tag; undefined when the tag is not of that form. */
export function pytorchImageFacts(reference: string): PytorchImageFacts | undefined {
  const m = PYTORCH_TAG.exec(tagOf(reference) ?? "");
  return m ? { torchVersion: m[1], cudaVersion: m[2] } : undefined;
}

export function isDigestReference(reference: string): boolean {
  return DIGEST_REFERENCE.test(reference);
}

/** `name[:tag]@sha256:…` → `name[:tag]`: the part people read. */
export function withoutDigest(reference: string): string {
  return reference.replace(/@sha256:[0-9a-f]{64}$/, "");
}

/** Numeric comparison of dotted versions: `compareVersions("2.10.0", "2.9.1") > 0`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The default tag pushed to the private registry: both base versions, so people can tell builds apart. */
export function defaultImageTag(spark: SparkImageFacts, pytorch: PytorchImageFacts): string {
  return `spark${spark.sparkVersion}-torch${pytorch.torchVersion}-cuda${pytorch.cudaVersion}`;
}

/** What the build needs from the validated `image` section (see schema.ts). */
export interface ImageBuildInputs {
  readonly sparkImage: string;
  readonly pytorchImage: string;
  readonly pythonPath: string;
  readonly pythonVersion: string;
}

/** Proxy for the build's RUN steps: URLs already carrying their credentials, when there are any. */
export interface BuildProxy {
  readonly http: string;
  readonly https: string;
  readonly noProxy: readonly string[];
}

function proxyBuildArgs(proxy: BuildProxy): Record<string, string> {
  const noProxy = proxy.noProxy.join(",");
  return {
    HTTP_PROXY: proxy.http,
    http_proxy: proxy.http,
    HTTPS_PROXY: proxy.https,
    https_proxy: proxy.https,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
  };
}

/**
 * The Dockerfile's build args. The proxy goes only into Docker's predefined proxy args (both
 * spellings: apt and curl read the lower-case ones), which Docker keeps out of the image's history
 * and config as long as the Dockerfile never declares them.
 */
export function renderBuildArgs(inputs: ImageBuildInputs, proxy?: BuildProxy): Record<string, string> {
  const spark = sparkImageFacts(inputs.sparkImage);
  const pytorch = pytorchImageFacts(inputs.pytorchImage);
  if (!spark || !pytorch) throw new Error("renderBuildArgs: base image tags not validated by the image schema");
  return {
    SPARK_IMAGE: inputs.sparkImage,
    PYTORCH_IMAGE: inputs.pytorchImage,
    SPARK_VERSION: spark.sparkVersion,
    JAVA_VERSION: spark.javaVersion,
    TORCH_VERSION: pytorch.torchVersion,
    PYTHON: inputs.pythonPath,
    PYTHON_VERSION: inputs.pythonVersion,
    // Records cache metadata in the pushed image, so the next build can use it with cacheFrom.
    BUILDKIT_INLINE_CACHE: "1",
    ...(proxy ? proxyBuildArgs(proxy) : {}),
  };
}

/**
 * The proxy as the build's RUN steps use it: credentials inside the URLs, NO_PROXY with loopback and
 * the configured extras (the steps only talk to package mirrors).
 */
export function renderBuildProxy(proxy: ProxyConfig, credentials?: ProxyCredentials): BuildProxy {
  return {
    ...proxyUrls(proxy, credentials),
    noProxy: [...new Set(["localhost", "127.0.0.1", ...proxy.noProxy])],
  };
}

/** `<endpoint>/<repository>:<tag>`, as pushed. */
export function imageName(endpoint: string, repository: string, tag: string): string {
  return `${endpoint}/${repository}:${tag}`;
}
