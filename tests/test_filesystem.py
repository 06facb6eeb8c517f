"""Stores on a network file system are warned about, or refused, by policy."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from lythonic import _filesystem
from lythonic._filesystem import (
    NetworkFilesystemError,
    check_store_directory,
    network_filesystem,
    set_network_fs_policy,
)

MOUNTS = """\
22 1 252:0 / / rw,relatime - ext4 /dev/vda rw
36 22 0:32 / /mnt/shared rw,relatime - nfs4 server:/export rw,vers=4.2
37 36 252:1 / /mnt/shared/local rw,relatime - ext4 /dev/vdb rw
38 22 0:40 / /mnt/smb rw - cifs //host/share rw
39 22 0:41 / /mnt/my\\040box rw - fuse.sshfs me@box: rw
"""


@pytest.fixture(autouse=True)
def _default_policy() -> Iterator[None]:
    set_network_fs_policy("warn")
    yield
    set_network_fs_policy("warn")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/mnt/shared/data/dags.db", "nfs4"),
        ("/mnt/shared", "nfs4"),
        ("/mnt/shared/local/data", None),  # a local disk mounted inside the NFS export
        ("/mnt/sharedness/data", None),  # a prefix of the name is not a parent
        ("/mnt/smb/x", "cifs"),
        ("/mnt/my box/data", "fuse.sshfs"),
        ("/home/me/data", None),
    ],
)
def test_the_innermost_mount_decides(path: str, kind: str | None) -> None:
    """The longest mount point holding the path gives its file system type."""
    assert network_filesystem(path, mountinfo=MOUNTS) == kind


def test_warn_logs_once_per_directory(caplog: pytest.LogCaptureFixture) -> None:
    """By default a store on NFS opens, with one warning naming the place and the fix."""
    with caplog.at_level(logging.WARNING, logger="lythonic.state"):
        check_store_directory("/mnt/shared/data/dags.db", mountinfo=MOUNTS)
        check_store_directory("/mnt/shared/data/triggers.db", mountinfo=MOUNTS)
    (record,) = caplog.records
    assert "/mnt/shared/data is on a network file system (nfs4)" in record.getMessage()
    assert "LYTH_DATA_DIR" in record.getMessage()


def test_refuse_raises_an_os_error_naming_the_setting() -> None:
    """With LYTH_NETWORK_FS=refuse the store does not open."""
    set_network_fs_policy("refuse")
    with pytest.raises(
        NetworkFilesystemError, match=r"network file system \(cifs\).*LYTH_NETWORK_FS"
    ):
        check_store_directory("/mnt/smb/dags.db", mountinfo=MOUNTS)


def test_ignore_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """With LYTH_NETWORK_FS=ignore nothing is checked."""
    set_network_fs_policy("ignore")
    with caplog.at_level(logging.WARNING):
        check_store_directory("/mnt/shared/dags.db", mountinfo=MOUNTS)
    assert caplog.records == []


def test_every_store_is_checked_when_it_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Provenance, trigger and cache stores all go through the check (refused here)."""
    from lythonic.compose.cache._store import thread_connection
    from lythonic.compose.dag_provenance import DagProvenance
    from lythonic.compose.trigger import TriggerStore

    mounts = tmp_path / "mountinfo"
    mounts.write_text(f"22 1 0:32 / {tmp_path} rw - nfs server:/x rw\n")
    monkeypatch.setattr(_filesystem, "MOUNTINFO", mounts)
    set_network_fs_policy("refuse")
    for open_store in (DagProvenance, TriggerStore, thread_connection):
        with pytest.raises(NetworkFilesystemError):
            open_store(tmp_path / "store.db")
