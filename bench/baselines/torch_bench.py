"""PyTorch baseline for bench/gemm.ts: reads the cases as JSON on stdin, prints one JSON line each.

Run by bench/lib.ts with OMP_WAIT_POLICY=PASSIVE and OMP/OPENBLAS/MKL_NUM_THREADS set to
BENCH_THREADS, the same timing rule as the TypeScript side (best of 5 batches of >= 150 ms).
"""
import json
import os
import sys

from timing import seconds_per_call
import torch


def main():
    threads = int(os.environ["BENCH_THREADS"])
    torch.set_num_threads(threads)
    cases = json.load(sys.stdin)
    torch.manual_seed(0)
    with torch.no_grad():
        for case in cases:
            m, n, k = case["m"], case["n"], case["k"]
            a = torch.rand(m, k) * 2 - 1
            if case.get("transB"):
                # nn.Linear layout [n, k]: the product PyTorch runs for a Linear layer.
                w = torch.rand(n, k) * 2 - 1
                fn = lambda: torch.nn.functional.linear(a, w)
            else:
                b = torch.rand(k, n) * 2 - 1
                fn = lambda: torch.mm(a, b)
            seconds = seconds_per_call(fn)
            print(json.dumps({**case, "threads": threads, "backend": "pytorch",
                              "gflops": 2 * m * n * k / seconds / 1e9}), flush=True)


if __name__ == "__main__":
    main()
