"""The worker side of grading: everything that runs next to untrusted student code.

``server``, ``protocol``, ``probes`` and ``netspec`` (with ``cnnkit``) are copied into each worker's
runtime directory; ``client`` is the parent's handle on a worker process.
"""
