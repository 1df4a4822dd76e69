// What the official base image tags say (Spark, Scala, Java, torch and CUDA versions), how versions
// compare, and references pinned by digest. The schema judges the configured images and names the
// default tag with these; the build takes its args from them.

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

export interface BaseImageFacts {
  readonly spark: SparkImageFacts;
  readonly pytorch: PytorchImageFacts;
}

/** The facts of both base images of an `image` section the schema accepted; any other tag is a bug. */
export function baseImageFacts(images: { readonly sparkImage: string; readonly pytorchImage: string }): BaseImageFacts {
  const spark = sparkImageFacts(images.sparkImage);
  const pytorch = pytorchImageFacts(images.pytorchImage);
  if (!spark || !pytorch)
    throw new Error(`base image tags not validated by the image schema: ${images.sparkImage}, ${images.pytorchImage}`);
  return { spark, pytorch };
}

/** The default tag pushed to the private registry: both base versions, so people can tell builds apart. */
export function defaultImageTag({ spark, pytorch }: BaseImageFacts): string {
  return `spark${spark.sparkVersion}-torch${pytorch.torchVersion}-cuda${pytorch.cudaVersion}`;
}
