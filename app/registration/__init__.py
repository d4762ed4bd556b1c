"""The Registration panel: register the diagnostic MR onto a planning CT of another study and
store the result in the case (`planning_ct`). See docs/registration.md."""

from app.registration.panel import RegistrationPanel

__all__ = ["RegistrationPanel"]
