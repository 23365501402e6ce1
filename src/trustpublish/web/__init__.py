"""The web layer: ``trustpublish serve`` (unsubscribe endpoint, preview)."""
