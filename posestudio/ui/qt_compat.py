"""Work around a reference-count bug of PySide6 6.12.0 on Python < 3.12.

Converting Python ``None`` to a QVariant (an item model's ``data()`` returning
None, the standard "no value") and passing ``True``/``False`` through a bool
signal each drop one reference to the singleton that was never taken. With
Python 3.11 those singletons are ordinary refcounted objects (None starts near
5,000 references, True near 400), so after a few hundred layer-panel repaints
or undo steps the interpreter aborts with "none_dealloc: deallocating None".
PySide6 6.11.3 does not have the bug; pinning ``PySide6<6.12`` is the real fix.

Until then, on the affected combination, we give None/True/False a huge
reference count, which makes them immortal exactly as Python 3.12 does for
every singleton (PEP 683): they are never freed anyway, so a lost reference
is then harmless.
"""

from __future__ import annotations

import ctypes
import sys

_APPLIED = False


def affected() -> bool:
    import PySide6

    return sys.version_info < (3, 12) and PySide6.__version__.startswith("6.12.") \
        and sys.implementation.name == "cpython"


def immortalise_singletons() -> bool:
    """Apply the workaround once when needed; returns whether it was applied."""
    global _APPLIED
    if _APPLIED or not affected():
        return _APPLIED
    for obj in (None, True, False):
        # ob_refcnt is the first Py_ssize_t of every object on CPython < 3.12
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
    _APPLIED = True
    return True


immortalise_singletons()
