"""The window (PySide6). The only package that imports Qt; nothing imports it."""

from posestudio.ui import qt_compat  # noqa: F401  (PySide6 6.12.0 refcount workaround; see there)
