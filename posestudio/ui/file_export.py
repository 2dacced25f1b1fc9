"""Getting pictures and poses out of the window: File > Export Image (the result,
the composite of the visible layers, or every layer as OpenRaster), Export Layer
from the layer panel's menu, OpenPose JSON and the ControlNet skeleton.

A mixin of ``MainWindow`` (like ``PoseCommands``): each command takes its path
as an argument (tests, scripts) or asks with a file dialog that starts in the
folder last exported to, else beside the project or photo.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from posestudio.core.formats import picture
from posestudio.errors import InputError
from posestudio.ui import settings

PICTURES = "*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp"
IMAGE_FILTERS = {  # dialog filter -> what is exported
    f"Composite of the visible layers ({PICTURES})": "composite",
    f"Generated result ({PICTURES})": "result",
    "OpenRaster, every layer (*.ora)": "layers",
}


class ExportCommands:
    """Export commands for the window (needs ``session``, ``show_error``, ``statusBar``)."""

    def suggested_path(self, name: str) -> str:
        """``name`` in the folder last exported to, else beside the project or the opened photo."""
        folder = str(settings.value("export/folder", "") or "")
        if not folder or not Path(folder).is_dir():
            folder = str(self.session.home_folder())
        return str(Path(folder) / name)

    def _stem(self) -> str:
        return self.session.document_stem()

    def _write(self, path: str, fn) -> bool:
        try:
            out = fn(path)
        except InputError as exc:
            self.show_error(str(exc))
            return False
        except (OSError, ValueError) as exc:
            self.show_error(f"{path}: {exc}")
            return False
        out = Path(out) if out is not None else Path(path)
        settings.set_value("export/folder", str(out.parent))
        self.statusBar().showMessage(f"Exported {out}", 5000)
        return True

    def _export(self, title: str, filt: str, default: str, fn) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, title, self.suggested_path(default), filt)
        return bool(path) and self._write(path, fn)

    def export_image(self, path: str | None = None, kind: str | None = None) -> bool:
        """Write the composite, the generated result or an OpenRaster file of every layer."""
        doc = self.session.doc
        if path is None:
            filters = list(IMAGE_FILTERS)
            if kind is None and doc.layers.first("result") is not None:
                kind = "result"
            preferred = next((f for f, k in IMAGE_FILTERS.items() if k == (kind or "composite")), filters[0])
            path, chosen = QFileDialog.getSaveFileName(
                self, "Export image", self.suggested_path(f"{self._stem()}_{kind or 'composite'}.png"),
                ";;".join(filters), preferred)
            if not path:
                return False
            kind = IMAGE_FILTERS.get(chosen, kind or "composite")
        kind = kind or "composite"
        if not Path(path).suffix:
            path += ".ora" if kind == "layers" else ".png"
        return self._write(path, lambda p: picture.export_image(doc, p, kind))

    def export_layer(self, layer=None, path: str | None = None) -> bool:
        """Write one layer as a picture (the layer panel's context menu)."""
        layer = layer if layer is not None else self.layers_panel.current_layer()
        if layer is None:
            return False
        if path is None:
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in layer.name).strip("_") or "layer"
            path, _ = QFileDialog.getSaveFileName(self, f"Export layer {layer.name}",
                                                  self.suggested_path(f"{self._stem()}_{safe}.png"),
                                                  f"Pictures ({PICTURES});;OpenRaster (*.ora)")
            if not path:
                return False
        if not Path(path).suffix:
            path += ".png"
        return self._write(path, lambda p: picture.export_layer(self.session.doc, layer, p))

    def export_openpose(self) -> bool:
        return self._export("Export OpenPose JSON", "OpenPose JSON (*.json)", f"{self._stem()}_keypoints.json",
                            self.session.export_openpose)

    def export_skeleton(self) -> bool:
        return self._export("Export ControlNet skeleton", "PNG (*.png)", f"{self._stem()}_skeleton.png",
                            self.session.export_skeleton_image)
