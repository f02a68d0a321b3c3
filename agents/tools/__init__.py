"""Deterministic tools the model may call: their argument schemas (`specs`) and, later, the
functions that execute them."""
