// Pure values for the Spark + PyTorch image: the build args the Dockerfile takes (versions read
// from the base image tags by ./tags), the proxy of its RUN steps, the name pushed to the private
// registry. The component only wires these.
import { proxyUrls, type ProxyConfig, type ProxyCredentials } from "../proxy";
import { baseImageFacts } from "./tags";

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

/** The image's user and group (the Dockerfile's `spark`, uid and gid 185, as the apache/spark images): its pods run as it. */
export const IMAGE_USER = { uid: 185, gid: 185 } as const;

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
  const { spark, pytorch } = baseImageFacts(inputs);
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

/** A reference pushed to `pushEndpoint`, as pulled from `pullEndpoint` (the same storage). */
export function pullReference(pushed: string, pushEndpoint: string, pullEndpoint: string): string {
  if (!pushed.startsWith(`${pushEndpoint}/`)) throw new Error(`${pushed} was not pushed to ${pushEndpoint}`);
  return `${pullEndpoint}${pushed.slice(pushEndpoint.length)}`;
}
