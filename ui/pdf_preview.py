"""Show a PDF's pages as images (pdfium renders them), for previewing before saving."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget


def render_pages(source: Path | bytes, scale: float = 1.2) -> list[QImage]:
    """Every page as an image, from a file or from the PDF's bytes in memory."""
    document = pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
    images = []
    try:
        for page in document:
            bitmap = page.render(scale=scale, rev_byteorder=True)
            image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGB888)
            images.append(image.copy())  # own the pixels before pdfium frees its buffer
    finally:
        document.close()
    return images


class PdfPreview(QScrollArea):
    def __init__(self) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.holder = QWidget()
        self.pages = QVBoxLayout(self.holder)
        self.pages.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.setWidget(self.holder)
        self.page_count = 0

    def show_images(self, images: list[QImage]) -> None:
        while self.pages.count():
            item = self.pages.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for image in images:
            page = QLabel()
            page.setPixmap(QPixmap.fromImage(image))
            page.setFrameShape(QLabel.Shape.Box)
            self.pages.addWidget(page)
        self.page_count = len(images)
