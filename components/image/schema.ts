// The `image` config section: the two pinned base images of the Spark + PyTorch build, the
// interpreter that has torch, where the result goes in the private registry, or a prebuilt image
// used instead of building. Defaults live here and only here.
import { z } from "zod";
import { pinnedTag } from "../validators";
import { baseImageFacts, compareVersions, defaultImageTag, isDigestReference, pytorchImageFacts, sparkImageFacts } from "./tags";

const expecting = (what: string) => ({ error: `expected ${what}` });

const sparkImage = () => {
  const e = expecting(
    "an apache/spark image with an official tag <spark version>-scala<x.y>-java<n>[-python3]-ubuntu (e.g. apache/spark:4.0.1-scala2.13-java17-ubuntu)",
  );
  return z.string(e).refine((v) => sparkImageFacts(v) !== undefined, e);
};

const pytorchImage = () => {
  const e = expecting(
    "a pytorch/pytorch image with an official runtime tag <torch version>-cuda<x.y>-cudnn<n>-runtime (e.g. pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime)",
  );
  return z.string(e).refine((v) => pytorchImageFacts(v) !== undefined, e);
};

const absolutePath = (what: string) => {
  const e = expecting(`${what}: an absolute path without spaces`);
  return z.string(e).regex(/^\/[^\s]*[^\s/]$/, e);
};

/** The apache/spark images start at Spark 3.4, whose PySpark needs Python 3.7 or later. */
const pythonVersion = () => {
  const e = expecting('a Python version "3.<minor>" from 3.7 on, as PySpark needs (e.g. "3.11")');
  return z.string(e).refine((v) => /^3\.\d{1,2}$/.test(v) && compareVersions(`${v}.0`, "3.7.0") >= 0, e);
};

/** A repository path in a registry: lower-case components separated by '/', as the distribution spec allows. */
const repository = () => {
  const e = expecting("a repository name: lower-case letters and digits, separated by '.', '_', '-' or '/' (e.g. spark-pytorch)");
  return z.string(e).regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, e);
};

const digestReference = () => {
  const e = expecting(
    "an image reference pinned by digest, <registry>/<repository>[:tag]@sha256:<64 hex> (resolve a tag with `skopeo inspect --format '{{.Digest}}' docker://<image>`)",
  );
  return z.string(e).refine(isDigestReference, e);
};

export const imageSchema = z
  .strictObject({
    /**
     * The official Spark image the Spark stage copies `/opt/spark` and the entrypoint from. Its tag
     * gives the Spark version and the Java version of the JRE installed next to PyTorch.
     * @default "apache/spark:4.0.1-scala2.13-java17-ubuntu"
     */
    sparkImage: sparkImage().default("apache/spark:4.0.1-scala2.13-java17-ubuntu"),
    /**
     * The PyTorch runtime image the final stage starts from (Ubuntu, CUDA as pip wheels, Python with torch).
     * @default "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"
     */
    pytorchImage: pytorchImage().default("pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"),
    /**
     * The interpreter that has torch: PYSPARK_PYTHON and PYSPARK_DRIVER_PYTHON. PyTorch images
     * before 2.10 keep it in conda; from 2.10 on it is the system's `/usr/bin/python3`.
     * @default "/opt/conda/bin/python"
     */
    pythonPath: absolutePath("the path of the Python interpreter that has torch").default("/opt/conda/bin/python"),
    /** Major.minor version of that interpreter (2.9.x images: 3.11; 2.10 on: 3.12). @default "3.11" */
    pythonVersion: pythonVersion().default("3.11"),
    /** Repository in the private registry. @default "spark-pytorch" */
    repository: repository().default("spark-pytorch"),
    /** Tag pushed; consumers use the digest, so the tag is for people. @default "spark<spark>-torch<torch>-cuda<cuda>" from the base tags */
    tag: pinnedTag().optional(),
    /**
     * A prebuilt image to use instead of building (where no Docker daemon is reachable at deploy
     * time), pinned by digest so that what runs is exactly what was tested. The other keys then only
     * describe it (Spark and Python versions). @default absent: the stack builds and pushes the image
     */
    prebuilt: digestReference().optional(),
  })
  .superRefine((image, ctx) => {
    const spark = sparkImageFacts(image.sparkImage);
    const pytorch = pytorchImageFacts(image.pytorchImage);
    if (!spark || !pytorch) return; // already reported by the field
    if (compareVersions(pytorch.torchVersion, "2.10.0") >= 0 && image.pythonPath.startsWith("/opt/conda/")) {
      ctx.addIssue({
        code: "custom",
        path: ["pythonPath"],
        input: image.pythonPath,
        message: `expected the system interpreter /usr/bin/python3 (and pythonVersion "3.12"): pytorch/pytorch images have no conda from 2.10 on, and pytorchImage is ${pytorch.torchVersion}`,
      });
    }
    if (compareVersions(spark.sparkVersion, "4.0.0") < 0 && compareVersions(image.pythonVersion, "3.12") >= 0) {
      ctx.addIssue({
        code: "custom",
        path: ["pythonVersion"],
        input: image.pythonVersion,
        message: `expected Python 3.11 or older for Spark ${spark.sparkVersion} (PySpark runs on Python 3.12 from Spark 4.0 on): use a Spark 4.x sparkImage with this PyTorch image`,
      });
    }
  })
  .transform((image) => ({ ...image, tag: image.tag ?? defaultImageTag(baseImageFacts(image)) }));

export type ImageConfig = z.output<typeof imageSchema>;
