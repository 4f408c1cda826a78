"""The bundle's Dockerfile: a slim Python image that runs the server as a non-root user.

The base image is the slim image of the Python that exported the model (the pins in
requirements.txt are for it). The image holds only the server, its manifest and the model
files, owned by root and read-only to the server's user; nothing secret is copied or set.
The HEALTHCHECK calls ``/readyz`` with Python's urllib, as the slim image has no curl.
"""

from __future__ import annotations

import sys

__all__ = ["APP_UID", "DOCKERIGNORE", "IMAGE_FILES", "render_dockerfile"]

#: User and group id of the server in the image (numeric, so Kubernetes can check non-root).
APP_UID = 10001
#: Files of the bundle copied into the image, besides the models/ folder.
IMAGE_FILES = ("manifest.json", "server.py")
#: Keeps the build context to what the image needs.
DOCKERIGNORE = "*\n!requirements.txt\n!manifest.json\n!server.py\n!models/\n"


def render_dockerfile(*, port: int, title: str) -> str:
    """The Dockerfile of a bundle whose server listens on ``port``; ``title`` heads it."""
    python = ".".join(map(str, sys.version_info[:2]))
    probe = (
        "import urllib.request; "
        f"urllib.request.urlopen('http://127.0.0.1:{port}/readyz', timeout=4)"
    )
    return f"""\
# {title}
# Built by `boucle package`. No secret is copied or set: the image holds the server, its
# manifest and the model files only, read-only to the non-root user that runs the server.
FROM python:{python}-slim

ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt \\
    && groupadd --system --gid {APP_UID} boucle \\
    && useradd --system --uid {APP_UID} --gid {APP_UID} --no-create-home \\
        --shell /usr/sbin/nologin boucle

COPY {" ".join(IMAGE_FILES)} ./
COPY models/ ./models/

USER {APP_UID}:{APP_UID}
EXPOSE {port}

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \\
    CMD ["python", "-c", "{probe}"]

CMD ["python", "-m", "uvicorn", "server:app", "--host", "0.0.0.0", "--port", "{port}"]
"""
