"""The Gradio UI for staff and the public, mounted in the API server (`guihua serve`, /ui). It
calls the same services as the API, in process, as the signed-in user (or the public)."""
