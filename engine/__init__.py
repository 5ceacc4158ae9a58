"""Liandong's workflow engine: BPMN cases on SpiffWorkflow, stored in SQL, one command per
transaction. Nothing in this package imports Flask.

The public surface is the `Engine` (its methods are the commands) and the errors.
"""
from engine.clock import Clock, ManualClock
from engine.config import Settings
from engine.core import Engine
from engine.errors import (Conflict, ExecutionError, Forbidden, InvalidData, LiandongError,
    ModelError, NotFound, ScriptError, Unavailable)

__all__ = ["Clock", "Conflict", "Engine", "ExecutionError", "Forbidden", "InvalidData",
           "LiandongError", "ManualClock", "ModelError", "NotFound", "ScriptError", "Settings",
           "Unavailable"]
