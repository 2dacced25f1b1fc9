"""Live training curves for the Train dock, drawn with pyqtgraph: the loss per
step, and the validation SSIM and PSNR on the held-out frames (two plots side by
side with linked step axes; at the end the weight-free engine's scores are drawn
as dashed lines, so "beats the engine" is visible on the curve).

pyqtgraph takes about a second to import; the plots are built the first time
they are shown or get points, never while the window starts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from posestudio.ui.panels.train_views import WrapLabel

COLOURS = {"loss": "#4a90d9", "ssim": "#3cb371", "psnr": "#e08a1e"}


class TrainCurves(QWidget):
    """``add(records)`` with curves.jsonl records; ``clear()`` for a new run."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.steps: list[float] = []
        self.loss: list[float] = []
        self.val_steps: list[float] = []
        self.ssim: list[float] = []
        self.psnr: list[float] = []
        self.engine: tuple[float, float] | None = None
        self.engine_lines: list = []
        self.graphics = None  # the plots, once built
        self.lay = QVBoxLayout(self)
        self.lay.setContentsMargins(0, 0, 0, 0)
        self.room = QWidget()  # holds the plots' place until they are built
        self.room.setMinimumHeight(120)
        self.lay.addWidget(self.room, 1)
        self.latest = WrapLabel("No training yet")
        self.latest.setObjectName("train_latest")
        self.latest.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.lay.addWidget(self.latest)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._build()

    def _build(self) -> None:
        if self.graphics is not None:
            return
        import pyqtgraph as pg

        g = pg.GraphicsLayoutWidget()
        g.setBackground("w")
        g.setMinimumHeight(120)
        self.loss_plot = g.addPlot(row=0, col=0)
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.setLabel("bottom", "step")
        self.val_plot = g.addPlot(row=0, col=1)  # side by side: the dock is wider than tall
        self.val_plot.setLabel("left", "val SSIM")
        self.val_plot.setLabel("bottom", "step")
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
            plot.showGrid(x=True, y=True, alpha=0.3)
            for side in ("left", "bottom", "right"):
                plot.getAxis(side).enableAutoSIPrefix(False)  # a loss of 0.8 reads 0.8, not "800 m"
        self.loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen(COLOURS["loss"], width=2))
        self.ssim_curve = self.val_plot.plot([], [], pen=pg.mkPen(COLOURS["ssim"], width=2), symbol="o",
                                             symbolSize=5, symbolBrush=COLOURS["ssim"])
        self.psnr_curve = pg.PlotDataItem([], [], pen=pg.mkPen(COLOURS["psnr"], width=2), symbol="t", symbolSize=5,
                                          symbolBrush=COLOURS["psnr"])
        self.psnr_view.addItem(self.psnr_curve)
        self.lay.replaceWidget(self.room, g)
        self.room.deleteLater()
        self.graphics = g
        self._redraw()
        if self.engine is not None:
            self.show_engine(*self.engine)

    def _sync_views(self) -> None:
        self.psnr_view.setGeometry(self.val_plot.vb.sceneBoundingRect())
        self.psnr_view.linkedViewChanged(self.val_plot.vb, self.psnr_view.XAxis)

    def clear(self) -> None:
        for seq in (self.steps, self.loss, self.val_steps, self.ssim, self.psnr):
            seq.clear()
        self._remove_engine_lines()
        self.engine = None
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
        if self.isVisible():
            self._build()
        self._redraw()

    def _redraw(self) -> None:
        if self.graphics is not None:
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

    def _remove_engine_lines(self) -> None:
        for line in self.engine_lines:
            view = line.getViewBox()
            if view is not None:
                view.removeItem(line)
        self.engine_lines = []

    def show_engine(self, ssim: float, psnr: float) -> None:
        """The weight-free engine's held-out scores as dashed lines to beat."""
        self.engine = (float(ssim), float(psnr))
        if self.graphics is None:
            return  # drawn when the plots are built
        import pyqtgraph as pg

        self._remove_engine_lines()
        ssim_line = self.val_plot.addLine(y=ssim, pen=pg.mkPen(COLOURS["ssim"], style=Qt.PenStyle.DashLine))
        psnr_line = pg.InfiniteLine(pos=psnr, angle=0, pen=pg.mkPen(COLOURS["psnr"], style=Qt.PenStyle.DashLine))
        self.psnr_view.addItem(psnr_line)
        self.engine_lines = [ssim_line, psnr_line]

    def point_count(self) -> tuple[int, int]:
        """(loss points, validation points) drawn; (0, 0) before the plots exist."""
        if self.graphics is None:
            return 0, 0
        xs = self.loss_curve.getData()[0], self.ssim_curve.getData()[0]
        return tuple(0 if x is None else len(x) for x in xs)
