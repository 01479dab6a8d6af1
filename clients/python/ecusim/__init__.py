"""A small Python client for ecusimd over the generated ecusim.v1 stubs.

    import ecusim
    with ecusim.connect() as sim:            # finds the local ecusimd by its advertisement
        sim.create_ecu("brake", "127.0.0.11")
        for o in sim.watch(kinds=["ecu."], snapshot=False, timeout=5):
            print(o.kind, o.ecu_id)

The generated stubs (`ecusim/v1/*_pb2.py`, built into build/<preset>/python) must be on
sys.path or in ECUSIM_PY_STUBS; they share this package's name, so the package path is
extended to find them.
"""
import os
import pkgutil
import sys

_stubs = os.environ.get("ECUSIM_PY_STUBS")
if _stubs and _stubs not in sys.path:
    sys.path.append(_stubs)
__path__ = pkgutil.extend_path(__path__, __name__)  # noqa: F821 (module attribute)

from ecusim.client import Client, connect  # noqa: E402
from ecusim.local import LocalService, advertisement_root, discover_local  # noqa: E402

__all__ = ["Client", "connect", "LocalService", "advertisement_root", "discover_local"]
