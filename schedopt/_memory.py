"""The one memory check: refuse, before allocating, a size whose arrays cannot fit.

Every entry point that allocates O(T) or O(T·K) floats calls ``check`` with its own measured
or estimated bytes a step; the command line's ``check_memory`` is this check with the
commands' measured 160 bytes a step. What can fit is the least of the memory the machine
can still give (MemAvailable) and what this process's limits leave: ``RLIMIT_AS`` (``ulimit
-v``) less the address space already mapped, and ``RLIMIT_DATA`` less the data segment in use
(issue 21: under ``ulimit -v`` the check read MemAvailable alone, passed, and numpy's
allocation then failed with a traceback). Standard library only.
"""

from __future__ import annotations

import os


class InsufficientMemoryError(MemoryError, ValueError):
    """A size refused up front because its arrays cannot fit (a ValueError too, so that the
    command line reports it in one line like any other bad argument)."""


def _status_kib(key: str) -> int | None:
    """A ``VmSize``/``VmData`` line of /proc/self/status, in KiB (None where unreadable)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _limit_left(resource_id, used_key: str) -> int | None:
    import resource

    soft, _ = resource.getrlimit(resource_id)
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    used = _status_kib(used_key)
    return max(0, soft - (used or 0) * 1024)


def available_bytes() -> int | None:
    """Bytes this process can still allocate: the least of MemAvailable and what RLIMIT_AS
    and RLIMIT_DATA leave; None where none of them can be read."""
    candidates = [_meminfo_available()]
    try:
        import resource

        candidates.append(_limit_left(resource.RLIMIT_AS, "VmSize"))
        if hasattr(resource, "RLIMIT_DATA"):
            candidates.append(_limit_left(resource.RLIMIT_DATA, "VmData"))
    except (ImportError, ValueError, OSError):       # no resource module (Windows)
        pass
    known = [c for c in candidates if c is not None]
    return min(known) if known else None


def check(size: int, name: str, bytes_per_unit: float, unit: str = "step", *,
          available=None) -> None:
    """Raise InsufficientMemoryError when ``size`` units of ``bytes_per_unit`` bytes cannot
    fit; the message names the argument (or flag) ``name`` and its value. ``available`` is
    a function giving the bytes free (default ``available_bytes``)."""
    need = float(bytes_per_unit) * int(size)
    have = (available or available_bytes)()
    if have is not None and need > have:
        raise InsufficientMemoryError(
            f"{name} = {int(size):,} needs about {need / 2 ** 30:,.1f} GiB of memory "
            f"({bytes_per_unit:,.0f} bytes a {unit}) but {have / 2 ** 30:,.1f} GiB is available "
            f"(free memory and this process's limits, ulimit -v included); use fewer steps")
