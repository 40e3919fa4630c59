"""Run the simulator: ``python tools/zhiyin_device …`` (the folder as a program) or
``python -m tools.zhiyin_device …``."""

import importlib
import os
import sys

if __package__:
    from .cli import main
else:  # run as a folder: its parent is the import root, so it needs nothing of Zhiyin
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main = importlib.import_module("zhiyin_device.cli").main

sys.exit(main())
