"""Stage 2, worker: the separate process that student code runs in, and the parent's handle on it.

* ``runtime/``: the code copied into a worker (server, protocol, probes, netspec); it runs next to
  student code and decides nothing.
* ``space``: a worker's scratch directory; ``client``: start a worker, send requests with a
  deadline, kill it and everything it started; ``sandbox/``: how it is isolated.
"""
