"""The widgets of the release screen: header, checklist, detail pane and output pane."""
