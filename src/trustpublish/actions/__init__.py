"""Actions: what the command line and the web both do (check, build, import, sync)."""
