"""How much memory this process can still allocate: the one reader for every up-front check.

The smaller of what the machine can give (``MemAvailable`` of ``/proc/meminfo``, else the
free physical pages) and what the process may still map under its address-space limit
(``resource.getrlimit(RLIMIT_AS)`` minus its current virtual size), so that a check also holds
under ``ulimit -v``. Standard library only.
"""

from __future__ import annotations

import os


def _machine() -> int | None:
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


def _address_space() -> int | None:
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError, AttributeError):
        return None
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    used = 0
    try:
        with open("/proc/self/statm") as f:
            used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    return max(0, soft - used)


def available_memory() -> int | None:
    """Bytes this process can still allocate, or None where it cannot tell (module doc)."""
    found = [b for b in (_machine(), _address_space()) if b is not None]
    return min(found) if found else None
