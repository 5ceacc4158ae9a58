"""Running the engine in production: health, heartbeats, metrics, logs, backup and restore.

Nothing here imports Flask: the web app's /healthz, /readyz and /metrics and the CLI's
`status`, `backup` and `restore` are thin wrappers over these modules.
"""
