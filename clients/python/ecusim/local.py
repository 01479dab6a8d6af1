"""Local service advertisements (bpod-core file format, docs/advert.md), standard library only.

Finds ecusimd (type "ecusim") and anything else advertised on this host without bpod-core.
"""
import fcntl
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional

_KEYS = ("service_name", "service_type", "address", "pid", "uuid", "properties")


class LocalService(NamedTuple):
    service_name: str
    service_type: str
    address: str
    pid: int
    uuid: str
    properties: Dict[str, Optional[str]]
    path: Path


def advertisement_root() -> Path:
    """platformdirs.user_runtime_path('LocalServiceAdvertisements') on Linux."""
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if xdg.strip():
        base = xdg
    else:
        base = f"/run/user/{os.getuid()}"
        if not os.access(base, os.W_OK):
            base = f"{tempfile.gettempdir()}/runtime-{os.getuid()}"
    return Path(base) / "LocalServiceAdvertisements"


def _alive(pid: int) -> bool:
    if pid < 0:
        return False
    if pid == 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def discover_local(service_type: str, properties: Optional[Dict[str, Optional[str]]] = None,
                   root: Optional[os.PathLike] = None) -> List[LocalService]:
    """Live advertisements of `service_type` whose properties include `properties` (a None
    value matches a null or missing key). Removes files of dead processes, skips corrupt
    ones, as bpod-core's discover()."""
    properties = properties or {}
    type_dir = Path(root or advertisement_root()) / re.sub(r"[^a-zA-Z0-9_]", "_", service_type)
    found = []
    for path in sorted(type_dir.glob("*.json")) if type_dir.is_dir() else []:
        try:
            lock = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            lock = None
        try:
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                info = json.loads(path.read_bytes())
            except (OSError, ValueError):
                continue
            if not isinstance(info, dict) or any(k not in info for k in _KEYS):
                continue
            if not isinstance(info["pid"], int) or not isinstance(info["properties"], dict):
                continue
            if not _alive(info["pid"]):
                path.unlink(missing_ok=True)
                continue
            if all(info["properties"].get(k) == v for k, v in properties.items()):
                found.append(LocalService(*(info[k] for k in _KEYS), path))
        finally:
            if lock is not None:
                os.close(lock)
    return found
