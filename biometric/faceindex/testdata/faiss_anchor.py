#!/usr/bin/env python3
"""The anchor of the face-search benchmark: FAISS IndexFlatL2 (exhaustive
float32 search), one thread, one query at a time.

Data shaped like BenchmarkSearch's: identities of 5, each a random unit
vector in 128 dimensions and its descriptors perturbations of it by about
0.3; half the queries enrolled descriptors moved by about 0.2, half random
unit vectors. Prints the median time per query over the queries.

    python3 biometric/faceindex/testdata/faiss_anchor.py 100000 1000000

Needs faiss (faiss-cpu from PyPI, or Debian's python3-faiss) and numpy.
"""
import sys
import time

import faiss
import numpy as np


def unit(rng, n, d=128):
    v = rng.standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def population(rng, n, per_id=5, spread=0.3, d=128):
    centres = np.repeat(unit(rng, (n + per_id - 1) // per_id, d), per_id, axis=0)[:n]
    noise = rng.standard_normal((n, d)).astype(np.float32) * (spread / np.sqrt(d))
    return centres + noise


def main(sizes, nq=200):
    faiss.omp_set_num_threads(1)
    try:
        opts = faiss.get_compile_options()
    except AttributeError:
        opts = "?"
    print(f"faiss {faiss.__version__} ({opts}), threads {faiss.omp_get_max_threads()}")
    for n in sizes:
        rng = np.random.default_rng(n)
        xb = population(rng, n)
        index = faiss.IndexFlatL2(128)
        index.add(xb)
        qs = np.empty((nq, 128), dtype=np.float32)
        for i in range(nq):
            if i % 2 == 0:
                qs[i] = xb[rng.integers(n)] + rng.standard_normal(128).astype(np.float32) * (0.2 / np.sqrt(128))
            else:
                qs[i] = unit(rng, 1)[0]
        index.search(qs[:2], 2)  # warm up
        times = []
        for i in range(nq):
            t0 = time.perf_counter()
            index.search(qs[i : i + 1], 2)
            times.append(time.perf_counter() - t0)
        print(f"IndexFlatL2 n={n} d=128 k=2: {1000 * float(np.median(times)):.2f} ms/query (median of {nq})")
        sys.stdout.flush()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
