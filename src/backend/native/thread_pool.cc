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
  stopping_.store(false, std::memory_order_relaxed);
  // Workers must know the generation they start at: reading it themselves could happen after
  // the first run() has already bumped it, and that job would then wait for them forever.
  const uint64_t gen = generation_.load(std::memory_order_relaxed);
  claimed_.reset(new std::atomic<uint64_t>[nthreads_]);
  for (int i = 0; i < nthreads_; ++i) claimed_[i].store(gen, std::memory_order_relaxed);
  for (int tid = 1; tid < nthreads_; ++tid) workers_.emplace_back(&ThreadPool::worker_loop, this, tid, gen);
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_.store(true, std::memory_order_relaxed);
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

bool ThreadPool::claim(int share, uint64_t gen) {
  uint64_t last = claimed_[share].load(std::memory_order_acquire);
  while (last < gen) {
    if (claimed_[share].compare_exchange_weak(last, gen, std::memory_order_acq_rel)) return true;
  }
  return false;
}

void ThreadPool::run_share(int share, int nshares) {
  try {
    (*job_.load(std::memory_order_acquire))(share, nshares);
  } catch (...) {
    // Rethrown by run() in the calling thread, where it can become a JS exception.
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_) error_ = std::current_exception();
  }
  if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard<std::mutex> lock(mu_);
    done_cv_.notify_one();
  }
}

void ThreadPool::worker_loop(int tid, uint64_t seen) {
  for (;;) {
    const auto started = [&] { return generation_.load(std::memory_order_acquire) != seen; };
    if (!spin_until(started)) {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, started);
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stopping_.load(std::memory_order_relaxed)) return;
    // A share claimed for this generation belongs to a run() that is still waiting for it, so
    // its job is alive. A worker that wakes too late finds its share taken and goes back.
    const int nshares = active_.load(std::memory_order_acquire);
    if (tid < nshares && claim(tid, seen)) run_share(tid, nshares);
  }
}

void ThreadPool::run(int max_threads, const Job& job) {
  std::lock_guard<std::mutex> guard(run_mu_);
  const int n = max_threads < nthreads_ ? (max_threads < 1 ? 1 : max_threads) : nthreads_;
  if (n == 1) {
    job(0, 1);
    return;
  }
  uint64_t gen;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_.store(&job, std::memory_order_relaxed);
    active_.store(n, std::memory_order_relaxed);
    remaining_.store(n - 1, std::memory_order_relaxed);
    gen = generation_.load(std::memory_order_relaxed) + 1;
    generation_.store(gen, std::memory_order_release);
  }
  start_cv_.notify_all();
  std::exception_ptr error;
  try {
    job(0, n);
  } catch (...) {
    error = std::current_exception();
  }
  // Shares whose worker has not started (asleep, or descheduled by a competing process) run
  // here instead of being waited for: the partition stays static, only who runs it changes.
  for (int share = 1; share < n; ++share) {
    if (claim(share, gen)) run_share(share, n);
  }
  const auto finished = [&] { return remaining_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(finished)) {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, finished);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error) error = error_;
    error_ = nullptr;
  }
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
