"""The pool's memory policy: where the zygote keeps the store, when a worker is replaced by a
fresh fork, and the ``/proc`` probes behind both."""

from __future__ import annotations

import ctypes
import logging
import os
from typing import Any

from caikg.config import Settings
from caikg.store.base import BuildInfo

log = logging.getLogger(__name__)


# -- the store a worker answers from ---------------------------------------------------------

BYTES_PER_TRIPLE = 620
"""Peak memory of loading a store into memory, per triple: pyoxigraph 0.5 copying a 1M-triple
store from disk into memory reaches 656 MiB (``VmHWM``; 420 MiB after the load and
``malloc_trim``, of which 39 MiB are the interpreter), i.e. ~620 bytes per triple at the peak
and ~400 after it. ``CAIKG_STORE_MEMORY=auto`` keeps the store in memory while
``triples × BYTES_PER_TRIPLE`` fits in ``CAIKG_MEMORY_LIMIT``."""

MIB = 1024 * 1024


def estimated_memory(info: BuildInfo) -> int:
    """Bytes needed (at the peak, while loading) to hold the store of ``info`` in memory."""
    return info.triples * BYTES_PER_TRIPLE


def store_mode(settings: Settings, info: BuildInfo) -> str:
    """``"memory"`` or ``"disk"``: where the zygote keeps the store described by ``info``
    (``CAIKG_STORE_MEMORY``; ``auto`` is memory when :func:`estimated_memory` fits in
    ``CAIKG_MEMORY_LIMIT``)."""
    if settings.store_memory in {"memory", "disk"}:
        return settings.store_memory
    return "memory" if estimated_memory(info) <= settings.memory_limit * MIB else "disk"


def malloc_trim() -> None:
    """Give the C heap's free pages back to the system (glibc only; elsewhere nothing)."""
    global _TRIM
    if _TRIM is None:
        try:
            _TRIM = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM: Any = None


def rss() -> int:
    """Resident bytes of this process (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def private_dirty() -> int:
    """Bytes this process has written to since the fork (0 where /proc is missing)."""
    try:
        with open("/proc/self/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


RECYCLE_AFTER = 64 * MIB
"""A worker whose private memory grew past this is replaced by a fresh fork after its job.
Reading pyoxigraph's in-memory store *writes* to it (reference counts of the quads it walks),
so a query that scans the store copies the pages it touched out of the zygote's shared copy:
a ``COUNT(*)`` over 1M triples leaves a worker with ~310 MiB of private pages, for good. A
fresh fork shares them again, and costs milliseconds."""

SCAN_SECONDS = 0.02
"""Jobs shorter than this are not checked for copied memory (a lookup copies little)."""

APP_MEMORY = 150 * MIB
"""What the web application process itself takes, for :func:`recycle_threshold`."""


def recycle_threshold(settings: Settings, info: BuildInfo) -> int:
    """Private bytes a worker may keep after a job before it is replaced by a fresh fork.

    ``CAIKG_MEMORY_LIMIT`` less the store (as the zygote holds it) and the app, shared by every
    worker (``CAIKG_WORKERS`` and the pages' pool); at least :data:`RECYCLE_AFTER`. A fresh
    fork costs milliseconds, but its first scan of the store runs ~3× slower (it copies the
    pages it touches again): with room in the budget (small stores, or a higher limit) workers
    stay warm; with none they give memory back after each scan."""
    workers = settings.workers + PAGE_WORKERS
    room = settings.memory_limit * MIB - estimated_memory(info) * 2 // 3 - APP_MEMORY
    return max(RECYCLE_AFTER, room // workers)


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
TRIM_AFTER = 32 * MIB
"""A worker calls malloc_trim(0) after a job that grew it by more than this (a few ms)."""


# -- the application's store, answered by workers --------------------------------------------

PAGE_WORKERS = 2
"""Workers of a :class:`PooledStore`: its own, so that user queries holding every
``CAIKG_WORKERS`` worker cannot starve the pages."""
