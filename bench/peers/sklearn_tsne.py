"""scikit-learn peer for bench/embed.ts.

Reads the first n rows of a float32 matrix (row-major, d columns) from --input, runs sklearn.manifold.TSNE
with the settings given, and prints one JSON line: wall and CPU (all threads)
seconds spent in fit_transform, the KL divergence sklearn reports, and (with --embedding-out) writes the float32
n x 2 embedding so the TypeScript bench scores both results with the same code.

--trust-of FILE scores an embedding written by the TypeScript side with
sklearn.manifold.trustworthiness instead (the cross-check of our own metric).
"""

import argparse
import json
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True, help="float32 n x d, row-major")
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--d", type=int, required=True)
    ap.add_argument("--perplexity", type=float, default=30.0)
    ap.add_argument("--iterations", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="n_jobs for the neighbour search and BH gradient")
    ap.add_argument("--embedding-out", default=None)
    ap.add_argument("--trust-of", default=None, help="float32 n x 2 embedding to score with sklearn's trustworthiness")
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()

    x = np.fromfile(args.input, dtype=np.float32, count=args.n * args.d).reshape(args.n, args.d)

    if args.trust_of:
        from sklearn.manifold import trustworthiness

        y = np.fromfile(args.trust_of, dtype=np.float32).reshape(args.n, 2)
        t = trustworthiness(x, y, n_neighbors=args.k)
        print(json.dumps({"trustworthiness": float(t), "k": args.k}))
        return

    from sklearn.manifold import TSNE
    import sklearn

    tsne = TSNE(
        n_components=2,
        perplexity=args.perplexity,
        early_exaggeration=12.0,
        learning_rate="auto",
        max_iter=args.iterations,
        init="pca",
        method="barnes_hut",
        angle=0.5,
        random_state=args.seed,
        n_jobs=args.threads,
    )
    t0 = time.perf_counter()
    c0 = time.process_time()
    y = tsne.fit_transform(x)
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    if args.embedding_out:
        np.ascontiguousarray(y, dtype=np.float32).tofile(args.embedding_out)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "kl": float(tsne.kl_divergence_),
                "iterations": int(tsne.n_iter_) + 1,
                "learning_rate": float(tsne.learning_rate_),
                "sklearn": sklearn.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
