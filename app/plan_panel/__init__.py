"""The Plan panel: live field, dose, coverage verdict, DVH and export in the main window."""

from app.plan_panel.panel import PlanPanel

__all__ = ["PlanPanel"]
