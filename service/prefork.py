"""Several worker processes forked from one that has already loaded the lexicons (gunicorn's
pre-fork model with uvicorn workers). Each worker starts in milliseconds instead of loading
everything again, and the workers share the loaded lexicons' memory until they write to it."""
from __future__ import annotations

import gc

from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

from .http_protocol import HTTP_PROTOCOL


class Worker(UvicornWorker):
    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "http": HTTP_PROTOCOL}


class PreforkServer(BaseApplication):
    def __init__(self, host: str, port: int, workers: int) -> None:
        self.bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"     # an IPv6 address in brackets
        self.workers = workers
        super().__init__()

    def load_config(self) -> None:
        for name, value in {"bind": self.bind, "workers": self.workers, "preload_app": True,
                            "worker_class": f"{__name__}.Worker", "loglevel": "warning",
                            "accesslog": None, "graceful_timeout": 30,
                            # a worker busy with short documents still answers its heartbeat; the
                            # extraction time limit is the pool's, not this
                            "timeout": 120}.items():
            self.cfg.set(name, value)

    def load(self):
        from extractors import warm_up

        from .app import create_app
        app = create_app()
        warm_up()
        gc.freeze()         # what is loaded now lives as long as the workers: out of every collection
        return app


def serve_prefork(host: str, port: int, workers: int) -> None:
    PreforkServer(host, port, workers).run()
