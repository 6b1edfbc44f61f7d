"""Looking at printed documents: the first page of a PDF as a PNG under tests/artifacts (ignored by git)."""

import subprocess
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def look(content: bytes, name: str, resolution: int = 60, keep_pdf: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.write_bytes(content)
    subprocess.run(["pdftoppm", "-r", str(resolution), "-png", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / name)],
                   check=True)
    if not keep_pdf:
        pdf.unlink()
