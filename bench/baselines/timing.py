"""The timing rule every baseline shares with bench/lib.ts: after two warm-up calls, five
batches of at least 150 ms each, and the fastest batch's mean time per call (the least noisy
estimate on a shared machine)."""
import time


def seconds_per_call(fn, min_batch_s=0.15):
    fn()
    fn()
    best = float("inf")
    for _ in range(5):
        calls = 0
        start = time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_batch_s:
                break
        best = min(best, elapsed / calls)
    return best
