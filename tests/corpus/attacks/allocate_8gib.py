"""Allocates (and touches) 8 GiB in 256 MiB chunks inside corr2d.

Expect: the data-memory limit stops it with MemoryError long before 8 GiB; the message says how far
it got; every check fails."""
CHUNK = 256 << 20


def corr2d(X, K):
    held = []
    try:
        while len(held) * CHUNK < 8 << 30:
            held.append(bytearray(CHUNK))  # zero-filled: the pages are touched
    except MemoryError:
        pass
    got = len(held) * CHUNK >> 20
    if got >= 8 << 10:
        print(f"ESCAPED: allocated {got} MiB")
    held.clear()
    raise NotImplementedError(f"allocated {got} MiB before MemoryError")
