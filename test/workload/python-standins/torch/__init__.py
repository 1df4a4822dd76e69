"""Stand-in for torch: CPU tensors of floats, and a CUDA that has STANDIN_CUDA_DEVICES devices
(default 0: unavailable). With STANDIN_CUDA_MISROUTE=1 every CUDA tensor lands on device 0, whatever
was asked: a container whose GPU numbering differs from Spark's."""
import os
import types

__version__ = "0.0+standin"
float32 = "float32"


def _devices():
    return int(os.environ.get("STANDIN_CUDA_DEVICES", "0"))


class device:
    def __init__(self, kind, index=None):
        if ":" in kind:
            kind, index = kind.split(":")
        self.type, self.index = kind, None if index is None else int(index)

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        return str(self) == str(other)


class Tensor:
    def __init__(self, values, on):
        self.values, self.device = values, on

    def __mul__(self, factor):
        return Tensor([v * factor for v in self.values], self.device)

    def sum(self):
        return Tensor([sum(self.values)], self.device)

    def item(self):
        return self.values[0]


def arange(n, dtype=None, device=None):
    on = device or globals()["device"]("cpu")
    if on.type == "cuda":
        if on.index >= _devices():
            raise RuntimeError("CUDA error: invalid device ordinal")
        if os.environ.get("STANDIN_CUDA_MISROUTE") == "1":
            on = globals()["device"]("cuda", 0)
    return Tensor([float(i) for i in range(n)], on)


class _Cuda:
    current = 0

    def is_available(self):
        return _devices() > 0

    def device_count(self):
        return _devices()

    def set_device(self, index):
        if os.environ.get("STANDIN_CUDA_MISROUTE") != "1":
            self.current = index

    def current_device(self):
        return self.current


cuda = _Cuda()


class _Module:
    def __init__(self, *layers, **kwargs):
        self.layers = layers


nn = types.SimpleNamespace(Module=_Module, Sequential=_Module, Linear=_Module, ReLU=_Module)
