"""Start a real server like ``hearthside serve``, with extra test plugins.

Usage: python -m tests.support.launch --plugin tests.support.card_plugin -- serve-args
The plugins register exactly as entry-point plugins do (``extra_plugins``).
"""

import argparse
import importlib
import logging

from hearthside.app import build_app, load_plugins_and_config
from hearthside.serve import serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plugin", action="append", default=[])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", required=True)
    args = parser.parse_args()
    plugins = {name.rsplit(".", 1)[-1]: importlib.import_module(name) for name in args.plugin}
    config, manager = load_plugins_and_config(
        flags={"host": args.host, "port": args.port, "data_dir": args.data_dir}, extra_plugins=plugins)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve(build_app(config, manager))


if __name__ == "__main__":
    main()
