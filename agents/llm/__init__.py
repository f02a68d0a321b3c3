"""Language-model backends behind one chat interface (see `base.ChatBackend`)."""
