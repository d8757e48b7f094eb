"""The code that runs inside a worker, next to untrusted student code.

Copied into each worker's scratch space as the package ``cnnkit_worker`` (see ``worker/space.py``):
``server`` answers the parent's requests, ``protocol`` frames messages (JSON and tensors, never
pickle), ``probes`` drive the student's objects, ``netspec`` builds networks described as data.
These modules may import only the standard library, torch and ``cnnkit``; nothing here decides a
score.
"""
