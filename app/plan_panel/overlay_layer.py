"""The overlay items the Plan panel draws on the views, kept as one replaceable layer."""

from __future__ import annotations

from app.viewer.overlays import OverlayItem, OverlayModel

ISODOSE_PREFIX = "Isodose"


class PlanOverlayLayer:
    """The plan's items in the viewer's overlay model, replaced all at once.

    Parameters
    ----------
    overlays : the viewer's overlay model.
    """

    def __init__(self, overlays: OverlayModel) -> None:
        self.overlays = overlays
        self._items: list[OverlayItem] = []

    @property
    def items(self) -> list[OverlayItem]:
        """The items drawn now."""
        return list(self._items)

    def isodoses(self) -> list[OverlayItem]:
        """The isodose lines drawn now."""
        return [i for i in self._items if i.name.startswith(ISODOSE_PREFIX)]

    def without_isodoses(self) -> list[OverlayItem]:
        """Everything drawn now except the isodose lines."""
        return [i for i in self._items if not i.name.startswith(ISODOSE_PREFIX)]

    def clear(self) -> None:
        """Remove every item of the plan from the views."""
        for item in self._items:
            self.overlays.remove(item)
        self._items = []

    def replace(self, items: list[OverlayItem]) -> None:
        """Draw ``items`` instead of those drawn now."""
        # Keep each layer's visibility as the user set it in the Layers panel.
        hidden = {item.name.split(" (")[0] for item in self._items if not item.visible}
        for item in items:
            if item.name.split(" (")[0] in hidden:
                item.visible = False
        self.clear()
        self._items = list(items)
        self.overlays.extend(self._items)
