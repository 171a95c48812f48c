"""Operating the process: the CLI, the runner, the HTTP server, logs, metrics and readiness."""
