"""The image area: slice views, their linking, window/level and the overlay API.

Later features draw on the views through `app.viewer.overlays` (items placed in patient LPS mm)
and receive mouse input through `app.viewer.tools` (events carrying patient LPS mm); neither
needs to touch the view code.
"""
