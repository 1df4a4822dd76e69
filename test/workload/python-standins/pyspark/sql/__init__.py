"""Stand-in for a SparkSession that runs every partition in this process, one after the other.

STANDIN_TASK_GPUS     JSON list, per partition, of the GPU addresses Spark assigns its task
STANDIN_TASK_PODS     JSON list, per partition, of the executor pod it runs in (HOSTNAME meanwhile)
STANDIN_SPARK_CONF    JSON object: the session's conf
STANDIN_HDFS          ok (default), lose (reads back nothing) or down (raises)
"""
import json
import os

from pyspark import ResourceInformation, TaskContext


def _env(name, default):
    return json.loads(os.environ.get(name, default))


class _Conf:
    def __init__(self, values):
        self.values = values

    def get(self, key, default=None):
        return self.values.get(key, default)


class _Rdd:
    def __init__(self, partitions, function=None):
        self.partitions, self.function = partitions, function

    def mapPartitions(self, function):
        return _Rdd(self.partitions, function)

    def collect(self):
        gpus, pods = _env("STANDIN_TASK_GPUS", "[]"), _env("STANDIN_TASK_PODS", "[]")
        driver = os.environ.get("HOSTNAME")
        results = []
        try:
            for i, rows in enumerate(self.partitions):
                addresses = gpus[i] if i < len(gpus) else []
                resources = {"gpu": ResourceInformation("gpu", addresses)} if addresses else {}
                TaskContext.current = TaskContext(resources)
                os.environ["HOSTNAME"] = pods[i] if i < len(pods) else f"executor-{i + 1}"
                results += list(self.function(iter(rows)))
        finally:
            TaskContext.current = None
            os.environ["HOSTNAME"] = driver or ""
        return results


class _Context:
    def parallelize(self, data, slices):
        data = list(data)
        return _Rdd([data[i::slices] for i in range(slices)])

    def getConf(self):
        return _Conf(_env("STANDIN_SPARK_CONF", "{}"))


_FILES = {}


class _Writer:
    def __init__(self, rows):
        self.rows = rows

    def mode(self, mode):
        assert mode == "overwrite"
        return self

    def text(self, path):
        if os.environ.get("STANDIN_HDFS") == "down":
            raise RuntimeError("java.net.ConnectException: Connection refused (hdfs-namenode:8020)")
        _FILES[path] = [] if os.environ.get("STANDIN_HDFS") == "lose" else [row[0] for row in self.rows]


class _DataFrame:
    def __init__(self, rows):
        self.rows = rows

    def coalesce(self, n):
        return self

    @property
    def write(self):
        return _Writer(self.rows)

    def collect(self):
        return [{"value": value} for value in self.rows]


class _Reader:
    def text(self, path):
        return _DataFrame(_FILES.get(path, []))


class SparkSession:
    class _Builder:
        def appName(self, name):
            return self

        def getOrCreate(self):
            return SparkSession()

    builder = _Builder()

    def __init__(self):
        self.sparkContext = _Context()
        self.read = _Reader()
        self.stopped = False

    def createDataFrame(self, rows, schema):
        return _DataFrame(rows)

    def stop(self):
        self.stopped = True
