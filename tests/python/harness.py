"""Helpers for Python tests against the real ecusimd binary.

ctest sets ECUSIMD (the binary), ECUSIM_PY_STUBS (generated stubs: `from ecusim.v1 import
ecu_pb2`, and flat `health_pb2`, `reflection_pb2`) and runs each test file in its own network
namespace, so fixed ports and 127.0.0.x addresses are private to the test.
"""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

STUBS = os.environ.get("ECUSIM_PY_STUBS")
if STUBS and STUBS not in sys.path:
    sys.path.insert(0, STUBS)

import grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402

ECUSIMD = os.environ.get("ECUSIMD", "")
SOURCE_DIR = os.environ.get("ECUSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


class Ecusimd:
    """One ecusimd process. Use as a context manager or call stop()."""

    def __init__(self, *args, grpc_port=50051, metrics_port=9464, demo=False, env=None,
                 wait=True):
        self.grpc_port = grpc_port
        self.metrics_port = metrics_port
        self.target = f"127.0.0.1:{grpc_port}"
        argv = [ECUSIMD, f"--grpc=127.0.0.1:{grpc_port}",
                f"--metrics=127.0.0.1:{metrics_port}", f"--demo={'true' if demo else 'false'}"]
        argv += list(args)
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=full_env)
        self._channel = None
        if wait:
            self.wait_serving()

    @property
    def channel(self):
        if self._channel is None:
            self._channel = grpc.insecure_channel(self.target)
        return self._channel

    def stub(self, stub_class):
        return stub_class(self.channel)

    def wait_serving(self, timeout=10.0):
        """Waits until gRPC health says SERVING; raises with ecusimd's stderr otherwise."""
        deadline = time.monotonic() + timeout
        # Wait for the port first: a gRPC channel that fails to connect backs off for ~1 s.
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.grpc_port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        health = health_pb2_grpc.HealthStub(self.channel)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ecusimd exited with {self.proc.returncode}: "
                                   f"{self.proc.stderr.read().decode()}")
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(), timeout=0.5,
                                     wait_for_ready=True)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.05)
        raise TimeoutError("ecusimd did not become SERVING")

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics",
                                    timeout=5) as r:
            return r.read().decode()

    def metric_value(self, name, **labels):
        """The value of one sample of /metrics, or None when absent."""
        for line in self.metrics().splitlines():
            if line.startswith("#") or not line.startswith(name):
                continue
            head, _, value = line.rpartition(" ")
            metric, _, label_text = head.partition("{")
            if metric != name:
                continue
            found = dict(kv.split("=", 1) for kv in label_text.rstrip("}").split(",") if kv)
            found = {k: v.strip('"') for k, v in found.items()}
            if all(found.get(k) == str(v) for k, v in labels.items()):
                return float(value)
        return None

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Sends `sig` and returns (returncode, seconds taken)."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self.proc.poll() is not None:
            return self.proc.returncode, 0.0
        start = time.monotonic()
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode, time.monotonic() - start

    def stderr_text(self):
        return self.proc.stderr.read().decode() if self.proc.poll() is not None else ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
