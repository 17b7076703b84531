// A pool of persistent worker threads with static partitioning.
//
// Why not OpenMP: its spinning barriers collapse when another process competes for the cores
// (DESIGN.md). Here a job is handed to every thread once, each thread computes its own share
// from (tid, nthreads), and idle workers spin only briefly before sleeping on a condition
// variable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace vlm {

class ThreadPool {
 public:
  using Job = std::function<void(int tid, int nthreads)>;

  explicit ThreadPool(int nthreads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return nthreads_; }
  // Joins the current workers and starts n - 1 new ones (the caller is always thread 0).
  void resize(int nthreads);
  // Runs job(tid, n) for tid in [0, n) with n = min(size(), max_threads) and returns when all
  // are done, rethrowing the first exception any share threw. With n == 1 the job runs inline
  // and the workers are not woken.
  void run(int max_threads, const Job& job);

 private:
  void start(int nthreads);
  void stop();
  void worker_loop(int tid, uint64_t seen);

  int nthreads_ = 1;
  std::vector<std::thread> workers_;
  // Serialises run() between JS threads (worker_threads share the process and the pool).
  std::mutex run_mu_;
  std::mutex mu_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  const Job* job_ = nullptr;
  int active_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;  // first exception thrown by a worker during the current job
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
