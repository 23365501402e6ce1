"""What the commands do (check, build, import), shared by the CLI and the web layer."""
