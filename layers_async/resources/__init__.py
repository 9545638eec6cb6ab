"""Resource namespaces of a client (``layers.projects``, ``layers.jobs``, ...)."""
