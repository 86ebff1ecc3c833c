"""Development settings (`make run`): debug pages, media and static files served by Django.

Everything else is base.py's, read from the environment the same way; DEBUG=false still turns debug off.
"""

import os

os.environ.setdefault("DEBUG", "true")

from strikem.settings.base import *  # noqa: F403
