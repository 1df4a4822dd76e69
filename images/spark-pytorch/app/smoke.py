"""Smoke run of the platform: the stack submits it after every deploy of a new image, and `pulumi up`
fails when it fails.

    spark-submit ... local:///opt/spark/app/smoke.py --expected-digest sha256:<64 hex> \\
        --executors 3 --gpus-per-executor 1 [--hdfs-dir /tmp/spark-gpu-stack-smoke]

It runs one task per executor, each checking, when executors have GPUs, that CUDA is available, that
the container sees exactly the GPUs Spark gave the executor, and that the GPU address Spark assigned
the task is the device torch computes on. The driver then checks that the driver and every executor
pod run the expected image digest, as their kubelets report it (status.containerStatuses[].imageID,
read with the driver's service account), and, with --hdfs-dir, that a file written through
fs.defaultFS reads back. It prints a one-line JSON report and exits 1 on any problem.
"""

import argparse
import json
import os
import socket
import ssl
import sys
import urllib.parse
import urllib.request
import uuid

import torch

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def pod_name() -> str:
    """This pod's name: Kubernetes makes it the container's host name."""
    return os.environ.get("HOSTNAME") or socket.gethostname()


def gpu_problems(addresses, gpus_per_executor: int):
    """What is wrong with the GPUs Spark assigned a task, as torch sees them."""
    if gpus_per_executor == 0:
        return [f"Spark assigned GPUs {addresses} to an executor without GPUs"] if addresses else []
    if not addresses:
        return ["Spark assigned the task no GPU"]
    if not torch.cuda.is_available():
        return [f"Spark assigned GPU {addresses[0]} but CUDA is unavailable"]
    problems = []
    visible = torch.cuda.device_count()
    if visible != gpus_per_executor:
        problems.append(f"the container sees {visible} GPUs, its executor was given {gpus_per_executor}")
    index = int(addresses[0])
    if index >= visible:
        return problems + [f"Spark assigned GPU {index}, which torch does not see ({visible} visible)"]
    torch.cuda.set_device(index)
    x = torch.arange(4, dtype=torch.float32, device=torch.device("cuda", index))
    if x.device.index != index or torch.cuda.current_device() != index:
        problems.append(f"torch computes on cuda:{x.device.index}, Spark assigned GPU {index}")
    if float((x * 2).sum().item()) != 12.0:
        problems.append(f"GPU {index} computed 2 * (0 + 1 + 2 + 3) wrong")
    return problems


def check_task(gpus_per_executor: int):
    """The mapPartitions function: one report per task, from the executor pod it ran in."""

    def check(_rows):
        from pyspark import TaskContext

        context = TaskContext.get()
        gpu = context.resources().get("gpu") if context is not None else None
        addresses = list(gpu.addresses) if gpu is not None else []
        yield {"pod": pod_name(), "gpus": addresses, "problems": gpu_problems(addresses, gpus_per_executor)}

    return check


def read_pod(name: str):
    """The pod, from the API server, as in-cluster clients reach it (never through a proxy)."""

    def read(file):
        with open(os.path.join(SERVICE_ACCOUNT_DIR, file), encoding="utf-8") as f:
            return f.read().strip()

    host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"]
    if ":" in host:
        host = f"[{host}]"
    quote = urllib.parse.quote
    url = f"https://{host}:{port}/api/v1/namespaces/{quote(read('namespace'))}/pods/{quote(name)}"
    context = ssl.create_default_context(cafile=os.path.join(SERVICE_ACCOUNT_DIR, "ca.crt"))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {read('token')}", "Accept": "application/json"})
    with opener.open(request, timeout=30) as response:
        return json.load(response)


def image_problems(pod, expected_digest: str):
    """The pod's containers whose image, as the kubelet reports it, is not the expected digest."""
    name = pod.get("metadata", {}).get("name", "?")
    statuses = pod.get("status", {}).get("containerStatuses", [])
    if not statuses:
        return [f"pod {name} reports no containers"]
    problems = []
    for status in statuses:
        # docker-pullable://host/repo@sha256:… (cri-dockerd) or host/repo@sha256:… (containerd).
        image_id = status.get("imageID", "")
        if image_id.rpartition("@")[2] != expected_digest:
            problems.append(f"pod {name} container {status.get('name')} runs {image_id or 'an unnamed image'}, not {expected_digest}")
    return problems


def hdfs_problems(spark, directory: str):
    """A line written under `directory` through fs.defaultFS reads back; each run overwrites the last."""
    default_fs = spark.sparkContext.getConf().get("spark.hadoop.fs.defaultFS", "")
    if not default_fs.startswith("hdfs://"):
        return [f"fs.defaultFS is {default_fs or 'unset'}, not HDFS"]
    token = uuid.uuid4().hex
    path = f"{directory}/last-run"
    spark.createDataFrame([(token,)], "value string").coalesce(1).write.mode("overwrite").text(path)
    back = [row["value"] for row in spark.read.text(path).collect()]
    return [] if back == [token] else [f"wrote {token} to {default_fs}{path}, read back {back}"]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expected-digest", required=True, help="sha256:… of the pushed image")
    parser.add_argument("--executors", type=int, required=True)
    parser.add_argument("--gpus-per-executor", type=int, required=True)
    parser.add_argument("--hdfs-dir", help="check HDFS through fs.defaultFS, writing here")
    return parser.parse_args(argv)


def guarded(what: str, check):
    """The check's problems, or the exception it raised as one."""
    try:
        return check()
    except Exception as error:  # every failure is a finding of the smoke run
        return [f"{what}: {type(error).__name__}: {error}"]


def main(argv=None) -> int:
    args = parse_args(argv)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("spark-gpu-stack-smoke").getOrCreate()
    try:
        tasks = (
            spark.sparkContext.parallelize(range(args.executors), args.executors)
            .mapPartitions(check_task(args.gpus_per_executor))
            .collect()
        )
        problems = [f"{task['pod']}: {problem}" for task in tasks for problem in task["problems"]]
        executors = sorted({task["pod"] for task in tasks})
        if len(executors) != args.executors:
            problems.append(f"the tasks ran in {len(executors)} executor pods, expected {args.executors}")
        for name in [pod_name(), *executors]:
            problems += guarded(f"image of pod {name}", lambda: image_problems(read_pod(name), args.expected_digest))
        if args.hdfs_dir:
            problems += guarded("HDFS", lambda: hdfs_problems(spark, args.hdfs_dir))
    finally:
        spark.stop()
    print(json.dumps({"ok": not problems, "problems": problems, "tasks": tasks, "digest": args.expected_digest}, sort_keys=True))
    for problem in problems:
        print(f"smoke: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
