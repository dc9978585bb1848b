"""Evaluation metrics (registration imports)."""
from .metrics import *  # noqa: F401,F403
