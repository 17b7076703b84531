// A pool of persistent worker threads with static partitioning.
//
// Why not OpenMP: its spinning barriers collapse when another process competes for the cores
// (DESIGN.md). Here a job is split into fixed shares (share, nshares); each worker takes its
// own share when it wakes, and the calling thread, once done with share 0, runs any share
// whose worker has not started yet, so a descheduled worker delays nothing. Idle workers spin
// only briefly before sleeping on a condition variable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace vlm {

class ThreadPool {
 public:
  using Job = std::function<void(int share, int nshares)>;

  explicit ThreadPool(int nthreads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return nthreads_; }
  // Joins the current workers and starts n - 1 new ones (the caller is always thread 0).
  void resize(int nthreads);
  // Runs job(share, n) for every share in [0, n), n = min(size(), max_threads), each exactly
  // once and possibly on the calling thread, and returns when all are done, rethrowing the
  // first exception any share threw. With n == 1 the job runs inline, the workers not woken.
  void run(int max_threads, const Job& job);

 private:
  void start(int nthreads);
  void stop();
  void worker_loop(int tid, uint64_t seen);
  // Takes share `share` of job generation `gen` unless someone already has.
  bool claim(int share, uint64_t gen);
  void run_share(int share, int nshares);

  int nthreads_ = 1;
  std::vector<std::thread> workers_;
  // Serialises run() between JS threads (worker_threads share the process and the pool).
  std::mutex run_mu_;
  std::mutex mu_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  std::atomic<uint64_t> generation_{0};
  // claimed_[s]: the last generation whose share s was taken, by its worker or by run().
  std::unique_ptr<std::atomic<uint64_t>[]> claimed_;
  std::atomic<const Job*> job_{nullptr};
  std::atomic<int> active_{0};
  std::atomic<int> remaining_{0};  // shares 1.. of the current job not finished yet
  std::atomic<bool> stopping_{false};
  std::exception_ptr error_;  // first exception thrown by a share run off the calling thread
};

// The process-wide pool, sized to the CPUs this process may run on.
ThreadPool& pool();
int default_threads();

// Work below this many elements (or multiply-adds) is not worth waking the pool for.
constexpr int64_t kParallelGrain = 1 << 14;

// Threads to use for `work` elements: 1 for small jobs, never more than `items` (rows, heads).
inline int threads_for(int64_t work, int64_t items) {
  if (work < kParallelGrain || items < 2) return 1;
  const int64_t n = pool().size();
  return static_cast<int>(n < items ? n : items);
}

// Splits [0, n) into `parts` contiguous ranges as evenly as possible; returns part `i`.
inline void split_range(int64_t n, int parts, int i, int64_t* begin, int64_t* end) {
  const int64_t base = n / parts, extra = n % parts;
  *begin = i * base + (i < extra ? i : extra);
  *end = *begin + base + (i < extra ? 1 : 0);
}

}  // namespace vlm
