"""Is a store's directory on a network file system?

SQLite's WAL mode relies on shared memory and POSIX locks that NFS, SMB/CIFS
and most FUSE file systems do not provide faithfully: two processes on such a
mount can corrupt a store. lythonic looks the directory up in
``/proc/self/mountinfo`` (Linux) when it opens a store and, by policy, warns
(the default), refuses, or says nothing. The policy is a trusted setting
(``LYTH_NETWORK_FS``, applied by ``lyth`` and the daemon with
``set_network_fs_policy``).

>>> text = "36 25 0:32 / /mnt/shared rw - nfs4 server:/export rw\\n"
>>> network_filesystem("/mnt/shared/data/dags.db", mountinfo=text)
'nfs4'
>>> network_filesystem("/home/me/data", mountinfo=text) is None
True
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

from lythonic._events import event

__all__ = [
    "NetworkFilesystemError",
    "NetworkFsPolicy",
    "check_store_directory",
    "network_filesystem",
    "set_network_fs_policy",
]

log = logging.getLogger("lythonic.state")

NetworkFsPolicy = Literal["warn", "refuse", "ignore"]

MOUNTINFO = Path("/proc/self/mountinfo")

# File system types (mountinfo's field after " - ") that are not local disks.
_NETWORK_TYPES = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb3",
        "smbfs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "afs",
        "ncpfs",
        "davfs",
        "sshfs",
        "virtiofs",
    }
)

_policy: NetworkFsPolicy = "warn"
_seen: set[Path] = set()


class NetworkFilesystemError(OSError):
    """A store would live on a network file system and the policy is ``refuse``."""


def set_network_fs_policy(policy: NetworkFsPolicy) -> None:
    """Set what opening a store on a network file system does, for this process."""
    global _policy
    _policy = policy
    _seen.clear()


def network_filesystem(path: Path | str, *, mountinfo: str | None = None) -> str | None:
    """The type of the network file system holding ``path``, or None for a local one.

    ``mountinfo`` is the text of ``/proc/self/mountinfo`` (read when not given;
    None is returned where it does not exist).
    """
    if mountinfo is None:
        try:
            mountinfo = MOUNTINFO.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = os.path.abspath(path)
    best, fstype = "", ""
    for line in mountinfo.splitlines():
        fields = line.split(" - ", 1)
        if len(fields) != 2:
            continue
        left, right = fields[0].split(), fields[1].split()
        if len(left) < 5 or not right:
            continue
        mount_point = left[4].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, fstype = mount_point, right[0]
    if fstype in _NETWORK_TYPES or fstype.startswith("fuse.") or fstype == "fuse":
        return fstype
    return None


def check_store_directory(path: Path | str, *, mountinfo: str | None = None) -> None:
    """Apply the policy to the directory of store file ``path`` (once per directory)."""
    if _policy == "ignore":
        return
    folder = Path(os.path.abspath(path)).parent
    if folder in _seen:
        return
    kind = network_filesystem(folder, mountinfo=mountinfo)
    if kind is None:
        _seen.add(folder)
        return
    message = (
        f"{folder} is on a network file system ({kind}), where SQLite's locking is "
        "unreliable and two processes can corrupt a store; put the data directory on a "
        "local disk (LYTH_DATA_DIR, storage.data_dir)"
    )
    if _policy == "refuse":
        raise NetworkFilesystemError(message + ", or set LYTH_NETWORK_FS=warn to accept the risk")
    _seen.add(folder)
    log.warning(
        "%s (LYTH_NETWORK_FS=refuse makes this an error)",
        message,
        extra=event("network_filesystem", directory=str(folder), fstype=kind),
    )
