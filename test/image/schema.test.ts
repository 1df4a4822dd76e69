// The `image` section through the real loader: defaults, derived tag, and every bad input's message.
import { describe, expect, it } from "vitest";
import { acceptedConfig, configProblems } from "../harness/config";

const imageOf = (image: Record<string, unknown>) => acceptedConfig({ image }).image;
const problemsOf = (image: unknown) => configProblems({ image });

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("image config", () => {
  it("defaults to Spark 4.0.1 on PyTorch 2.9.1 with conda's Python 3.11, tagged after both", () => {
    expect(imageOf({})).toEqual({
      sparkImage: "apache/spark:4.0.1-scala2.13-java17-ubuntu",
      pytorchImage: "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime",
      pythonPath: "/opt/conda/bin/python",
      pythonVersion: "3.11",
      repository: "spark-pytorch",
      tag: "spark4.0.1-torch2.9.1-cuda12.8",
    });
  });

  it("derives the tag from the configured bases unless one is given, and takes a digest-pinned prebuilt image", () => {
    const newer = {
      sparkImage: "apache/spark:4.0.1-scala2.13-java21-python3-ubuntu",
      pytorchImage: "pytorch/pytorch:2.10.0-cuda12.8-cudnn9-runtime",
      pythonPath: "/usr/bin/python3",
      pythonVersion: "3.12",
    };
    expect(imageOf(newer).tag).toBe("spark4.0.1-torch2.10.0-cuda12.8");
    expect(imageOf({ ...newer, tag: "v7" }).tag).toBe("v7");
    const prebuilt = `192.0.2.21:6001/spark-pytorch:v7@${DIGEST}`;
    expect(imageOf({ prebuilt }).prebuilt).toBe(prebuilt);
  });

  it("names the key, the expectation and the bad value", () => {
    expect(problemsOf({ sparkImage: "apache/spark:latest" })).toEqual([
      'image.sparkImage: expected an apache/spark image with an official tag <spark version>-scala<x.y>-java<n>[-python3]-ubuntu (e.g. apache/spark:4.0.1-scala2.13-java17-ubuntu), got "apache/spark:latest"',
    ]);
    expect(problemsOf({ pytorchImage: "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-devel" })).toEqual([
      'image.pytorchImage: expected a pytorch/pytorch image with an official runtime tag <torch version>-cuda<x.y>-cudnn<n>-runtime (e.g. pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime), got "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-devel"',
    ]);
    expect(problemsOf({ pythonPath: "python3" })).toEqual([
      'image.pythonPath: expected the path of the Python interpreter that has torch: an absolute path without spaces, got "python3"',
    ]);
    expect(problemsOf({ pythonVersion: 3.11 })).toEqual([
      'image.pythonVersion: expected a Python version "3.<minor>" from 3.7 on, as PySpark needs (e.g. "3.11"), got 3.11',
    ]);
    expect(problemsOf({ repository: "Spark_PyTorch" })).toEqual([
      "image.repository: expected a repository name: lower-case letters and digits, separated by '.', '_', '-' or '/' (e.g. spark-pytorch), got \"Spark_PyTorch\"",
    ]);
    expect(problemsOf({ tag: "latest" })).toEqual([`image.tag: expected a pinned image tag (not 'latest'), got "latest"`]);
    expect(problemsOf({ prebuilt: "192.0.2.21:6001/spark-pytorch:v7" })).toEqual([
      "image.prebuilt: expected an image reference pinned by digest, <registry>/<repository>[:tag]@sha256:<64 hex> (resolve a tag with `skopeo inspect --format '{{.Digest}}' docker://<image>`), got \"192.0.2.21:6001/spark-pytorch:v7\"",
    ]);
    expect(problemsOf({ python: "/usr/bin/python3" })).toEqual([
      "image.python: unknown key (check the spelling against the configuration reference)",
    ]);
  });

  it("refuses conda's interpreter on a PyTorch image that has none, and Python 3.12 under Spark 3", () => {
    expect(problemsOf({ pytorchImage: "pytorch/pytorch:2.10.0-cuda12.8-cudnn9-runtime" })).toEqual([
      'image.pythonPath: expected the system interpreter /usr/bin/python3 (and pythonVersion "3.12"): pytorch/pytorch images have no conda from 2.10 on, and pytorchImage is 2.10.0, got "/opt/conda/bin/python" (the default)',
    ]);
    expect(problemsOf({ sparkImage: "apache/spark:3.5.8-scala2.12-java17-python3-ubuntu", pythonVersion: "3.12" })).toEqual([
      'image.pythonVersion: expected Python 3.11 or older for Spark 3.5.8 (PySpark runs on Python 3.12 from Spark 4.0 on): use a Spark 4.x sparkImage with this PyTorch image, got "3.12"',
    ]);
    // Both fine with a Spark 3 base and conda's 3.11 on an older PyTorch.
    expect(problemsOf({ sparkImage: "apache/spark:3.5.8-scala2.12-java17-python3-ubuntu" })).toEqual([]);
  });
});
