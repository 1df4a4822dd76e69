"""Batch inference with a small PyTorch model on Spark executors.

The driver generates a synthetic dataset with Spark, builds a small classifier and broadcasts its
weights. Every partition runs the model in batches inside mapPartitions, on the GPU Spark assigned
to the task (spark.task.resource.gpu.amount > 0) or on the CPU when it assigned none. A task that
was assigned a GPU CUDA cannot use fails rather than fall back to the CPU. Predictions are written
as Parquet; a one-line JSON summary is written next to them and printed on stdout.

    spark-submit ... local:///opt/spark/app/batch_inference.py --rows 100000 --output hdfs:///runs/1

The job reads its own output back and exits non-zero when a row is missing, or when executors were
given GPUs and a row was predicted on the CPU, so a caller can trust the summary rather than
spark-submit's exit code alone.
"""

import argparse
import json
import sys
import time

import torch
from torch import nn

FEATURES = 16
CLASSES = 4


def build_model() -> nn.Module:
    """The classifier's architecture; weights come from the driver's seeded initialisation."""
    return nn.Sequential(
        nn.Linear(FEATURES, 64),
        nn.ReLU(),
        nn.Linear(64, 32),
        nn.ReLU(),
        nn.Linear(32, CLASSES),
    )


class GpuUnavailable(RuntimeError):
    """Spark assigned the task a GPU that CUDA cannot use: holding GPUs, the job must not run on CPUs."""


def choose_device(gpu_addresses) -> torch.device:
    """The first GPU Spark assigned to this task, or the CPU when it assigned none."""
    if not gpu_addresses:
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise GpuUnavailable(f"Spark assigned GPU {gpu_addresses[0]} but CUDA is unavailable (driver, runtime or device plugin?)")
    return torch.device(f"cuda:{int(gpu_addresses[0])}")


def summary_problems(summary, executor_gpus: float):
    """Why the run's summary cannot be trusted: rows missing, or GPUs held while rows ran on the CPU."""
    problems = []
    if summary["rows"] != summary["expectedRows"]:
        problems.append(f"expected {summary['expectedRows']} predictions, found {summary['rows']}")
    on_cpu = summary["rowsByDevice"].get("cpu", 0)
    if executor_gpus > 0 and on_cpu:
        problems.append(f"executors have {executor_gpus:g} GPUs each, yet {on_cpu} rows were predicted on the CPU")
    return problems


def predict_batches(model: nn.Module, device: torch.device, rows, batch_size: int):
    """Yields (id, label, score, device) for rows of (id, features), batch_size rows per forward pass."""
    model = model.to(device).eval()

    def run(batch):
        x = torch.tensor([features for _, features in batch], dtype=torch.float32, device=device)
        with torch.inference_mode():
            scores, labels = torch.softmax(model(x), dim=1).max(dim=1)
        for (row_id, _), label, score in zip(batch, labels.tolist(), scores.tolist()):
            yield row_id, int(label), float(score), str(device)

    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == batch_size:
            yield from run(batch)
            batch = []
    if batch:
        yield from run(batch)


def infer_partition(weights, batch_size: int):
    """The mapPartitions function: one model per partition, on the task's GPU when it has one."""

    def infer(rows):
        from pyspark import TaskContext

        context = TaskContext.get()
        gpu = context.resources().get("gpu") if context is not None else None
        device = choose_device(gpu.addresses if gpu is not None else [])
        model = build_model()
        model.load_state_dict(weights.value)
        features = ((row["id"], [row[f"f{i}"] for i in range(FEATURES)]) for row in rows)
        yield from predict_batches(model, device, features, batch_size)

    return infer


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="directory (any Hadoop path) for predictions/ and summary/")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    spark = SparkSession.builder.appName("spark-pytorch-batch-inference").getOrCreate()
    started = time.time()

    data = spark.range(args.rows, numPartitions=args.partitions).select(
        "id", *[F.rand(args.seed + i).alias(f"f{i}") for i in range(FEATURES)]
    )
    torch.manual_seed(args.seed)
    weights = spark.sparkContext.broadcast({k: v.detach().cpu() for k, v in build_model().state_dict().items()})

    schema = T.StructType(
        [
            T.StructField("id", T.LongType(), False),
            T.StructField("label", T.IntegerType(), False),
            T.StructField("score", T.DoubleType(), False),
            T.StructField("device", T.StringType(), False),
        ]
    )
    predictions = spark.createDataFrame(data.rdd.mapPartitions(infer_partition(weights, args.batch_size)), schema)
    predictions.write.mode("overwrite").parquet(f"{args.output}/predictions")

    written = spark.read.parquet(f"{args.output}/predictions")
    summary = {
        "rows": written.count(),
        "expectedRows": args.rows,
        "partitions": args.partitions,
        "batchSize": args.batch_size,
        "rowsByLabel": {str(r["label"]): r["count"] for r in written.groupBy("label").count().collect()},
        "rowsByDevice": {r["device"]: r["count"] for r in written.groupBy("device").count().collect()},
        "meanScore": written.agg(F.avg("score")).first()[0],
        "seconds": round(time.time() - started, 3),
        "sparkVersion": spark.version,
        "torchVersion": torch.__version__,
    }
    line = json.dumps(summary, sort_keys=True)
    spark.createDataFrame([(line,)], "value string").coalesce(1).write.mode("overwrite").text(f"{args.output}/summary")
    print(line)
    executor_gpus = float(spark.sparkContext.getConf().get("spark.executor.resource.gpu.amount", "0"))
    spark.stop()
    problems = summary_problems(summary, executor_gpus)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
