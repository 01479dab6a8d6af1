import pytest

from harness import Ecusimd


@pytest.fixture
def ecusimd():
    """Factory: ecusimd(*args, **kwargs) starts one; all are stopped after the test."""
    started = []

    def start(*args, **kwargs):
        d = Ecusimd(*args, **kwargs)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()
