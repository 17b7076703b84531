#include "thread_pool.h"

#include <sched.h>

#include <chrono>

#include <immintrin.h>

namespace vlm {

namespace {

// Spin this long before sleeping: enough to bridge back-to-back kernels of one forward pass,
// short enough not to steal a core from a competing process for long. Measured in time, not
// iterations, because `pause` takes anywhere from ~10 to ~140 cycles across CPUs.
constexpr auto kSpin = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Spins until done() or kSpin has passed; returns done().
template <typename Pred>
bool spin_until(const Pred& done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 16; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

}  // namespace

ThreadPool::ThreadPool(int nthreads) { start(nthreads); }

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::start(int nthreads) {
  nthreads_ = nthreads < 1 ? 1 : nthreads;
  stopping_ = false;
  // Workers must know the generation they start at: reading it themselves could happen after
  // the first run() has already bumped it, and that job would then wait for them forever.
  const uint64_t gen = generation_.load(std::memory_order_relaxed);
  for (int tid = 1; tid < nthreads_; ++tid) workers_.emplace_back(&ThreadPool::worker_loop, this, tid, gen);
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ThreadPool::resize(int nthreads) {
  std::lock_guard<std::mutex> guard(run_mu_);
  if (nthreads == nthreads_) return;
  stop();
  start(nthreads);
}

void ThreadPool::worker_loop(int tid, uint64_t seen) {
  for (;;) {
    const auto started = [&] { return generation_.load(std::memory_order_acquire) != seen; };
    if (!spin_until(started)) {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, started);
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stopping_) return;
    // Threads beyond the job's width sit this one out but still report back.
    if (tid < active_) {
      try {
        (*job_)(tid, active_);
      } catch (...) {
        // Rethrown by run() in the calling thread, where it can become a JS exception.
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
    }
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_one();
    }
  }
}

void ThreadPool::run(int max_threads, const Job& job) {
  std::lock_guard<std::mutex> guard(run_mu_);
  const int n = max_threads < nthreads_ ? (max_threads < 1 ? 1 : max_threads) : nthreads_;
  if (n == 1) {
    job(0, 1);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &job;
    active_ = n;
    pending_.store(nthreads_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_cv_.notify_all();
  // The workers hold a reference to `job`: wait for them even when this share throws.
  std::exception_ptr error;
  try {
    job(0, n);
  } catch (...) {
    error = std::current_exception();
  }
  const auto finished = [&] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(finished)) {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, finished);
  }
  if (!error) error = error_;
  error_ = nullptr;
  if (error) std::rethrow_exception(error);
}

int default_threads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

ThreadPool& pool() {
  static ThreadPool instance(default_threads());
  return instance;
}

}  // namespace vlm
