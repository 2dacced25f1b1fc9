"""Live training curves for the Train dock, drawn with pyqtgraph: the loss per
step, and the validation SSIM and PSNR on the held-out frames (two plots with a
linked step axes; at the end the weight-free engine's scores are drawn as dashed
lines, so "beats the engine" is visible on the curve)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from posestudio.ui.panels.train_views import WrapLabel

LOSS_PEN = pg.mkPen("#4a90d9", width=2)
SSIM_PEN = pg.mkPen("#3cb371", width=2)
PSNR_PEN = pg.mkPen("#e08a1e", width=2)


class TrainCurves(QWidget):
    """``add(records)`` with curves.jsonl records; ``clear()`` for a new run."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.steps: list[float] = []
        self.loss: list[float] = []
        self.val_steps: list[float] = []
        self.ssim: list[float] = []
        self.psnr: list[float] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.graphics.setMinimumHeight(120)
        self.loss_plot = self.graphics.addPlot(row=0, col=0)
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.showGrid(x=True, y=True, alpha=0.3)
        self.loss_plot.setLabel("bottom", "step")
        self.val_plot = self.graphics.addPlot(row=0, col=1)  # side by side: the dock is wider than tall
        self.val_plot.setLabel("left", "val SSIM")
        self.val_plot.setLabel("bottom", "step")
        self.val_plot.showGrid(x=True, y=True, alpha=0.3)
        self.val_plot.setXLink(self.loss_plot)
        # PSNR (dB) on its own right-hand axis: a second view box over the SSIM plot
        self.psnr_view = pg.ViewBox()
        self.val_plot.showAxis("right")
        self.val_plot.scene().addItem(self.psnr_view)
        self.val_plot.getAxis("right").linkToView(self.psnr_view)
        self.val_plot.getAxis("right").setLabel("PSNR dB")
        self.psnr_view.setXLink(self.val_plot)
        self.val_plot.vb.sigResized.connect(self._sync_views)
        for plot in (self.loss_plot, self.val_plot):
            plot.setMenuEnabled(False)
            for side in ("left", "bottom", "right"):
                plot.getAxis(side).enableAutoSIPrefix(False)  # a loss of 0.8 reads 0.8, not "800 m"
        self.loss_curve = self.loss_plot.plot([], [], pen=LOSS_PEN)
        self.ssim_curve = self.val_plot.plot([], [], pen=SSIM_PEN, symbol="o", symbolSize=5, symbolBrush="#3cb371")
        self.psnr_curve = pg.PlotDataItem([], [], pen=PSNR_PEN, symbol="t", symbolSize=5, symbolBrush="#e08a1e")
        self.psnr_view.addItem(self.psnr_curve)
        self.engine_lines: list = []
        lay.addWidget(self.graphics, 1)
        self.latest = WrapLabel("No training yet")
        self.latest.setObjectName("train_latest")
        self.latest.setAlignment(Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.latest)

    def _sync_views(self) -> None:
        self.psnr_view.setGeometry(self.val_plot.vb.sceneBoundingRect())
        self.psnr_view.linkedViewChanged(self.val_plot.vb, self.psnr_view.XAxis)

    def clear(self) -> None:
        for seq in (self.steps, self.loss, self.val_steps, self.ssim, self.psnr):
            seq.clear()
        for line in self.engine_lines:
            line.getViewBox().removeItem(line)
        self.engine_lines.clear()
        self._redraw()
        self.latest.setText("No training yet")

    def add(self, records: list[dict]) -> None:
        """Append curves.jsonl records (loss lines and validation lines) and redraw once."""
        if not records:
            return
        for r in records:
            step = float(r["step"])
            if isinstance(r.get("loss"), (int, float)):
                self.steps.append(step)
                self.loss.append(float(r["loss"]))
            if isinstance(r.get("val_ssim"), (int, float)) or isinstance(r.get("val_psnr"), (int, float)):
                self.val_steps.append(step)
                self.ssim.append(float(r.get("val_ssim", float("nan"))))
                self.psnr.append(float(r.get("val_psnr", float("nan"))))
        self._redraw()

    def _redraw(self) -> None:
        self.loss_curve.setData(self.steps, self.loss)
        self.ssim_curve.setData(self.val_steps, self.ssim)
        self.psnr_curve.setData(self.val_steps, self.psnr)
        parts = []
        if self.loss:
            parts.append(f"step {self.steps[-1]:.0f}: loss {self.loss[-1]:.4g}")
        if self.val_steps:
            parts.append(f"val SSIM {self.ssim[-1]:.3f}, PSNR {self.psnr[-1]:.2f} dB (step {self.val_steps[-1]:.0f})")
        if parts:
            self.latest.setText(" · ".join(parts))

    def show_engine(self, ssim: float, psnr: float) -> None:
        """The weight-free engine's held-out scores as dashed lines to beat."""
        for line in self.engine_lines:
            line.getViewBox().removeItem(line)
        self.engine_lines = [
            self.val_plot.addLine(y=ssim, pen=pg.mkPen("#3cb371", style=Qt.PenStyle.DashLine)),
        ]
        psnr_line = pg.InfiniteLine(pos=psnr, angle=0, pen=pg.mkPen("#e08a1e", style=Qt.PenStyle.DashLine))
        self.psnr_view.addItem(psnr_line)
        self.engine_lines.append(psnr_line)

    def point_count(self) -> tuple[int, int]:
        """(loss points, validation points) drawn."""
        return len(self.loss_curve.getData()[0] if self.loss_curve.getData()[0] is not None else []), \
            len(self.ssim_curve.getData()[0] if self.ssim_curve.getData()[0] is not None else [])
