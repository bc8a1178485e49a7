// The inference kernels' worker threads: started once, kept warm between the calls of a decode
// step (a few µs apart), asleep when idle. Starting a thread per call cost more than a small
// layer's whole product.
#include "internal.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace {

class KernelPool {
 public:
  explicit KernelPool(int workers) {
    for (int index = 1; index <= workers; ++index) {
      std::thread([this, index] { work(index); }).detach();
    }
    workerCount_ = workers;
  }

  int workerCount() const { return workerCount_; }

  void run(int parts, const std::function<void(int)> &body) {
    std::lock_guard<std::mutex> single(runLock_);
    failure_ = nullptr;
    {
      std::lock_guard<std::mutex> guard(lock_);
      body_ = &body;
      parts_ = parts;
      pending_.store(workerCount_, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    std::exception_ptr own;
    try {
      body(0);
      for (int part = workerCount_ + 1; part < parts; ++part) body(part);  // more parts than workers
    } catch (...) {
      own = std::current_exception();
    }
    while (pending_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
    if (own) std::rethrow_exception(own);
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  void work(int index) {
    uint64_t seen = 0;
    for (;;) {
      // Spin a little first: the next call of a decode step comes within microseconds.
      const auto spinUntil = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      while (generation_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < spinUntil) {
      }
      if (generation_.load(std::memory_order_acquire) == seen) {
        std::unique_lock<std::mutex> guard(lock_);
        wake_.wait(guard, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      }
      const std::function<void(int)> *body;
      int parts;
      {
        std::lock_guard<std::mutex> guard(lock_);
        seen = generation_.load(std::memory_order_acquire);
        body = body_;
        parts = parts_;
      }
      if (index < parts) {
        try {
          (*body)(index);
        } catch (...) {
          std::lock_guard<std::mutex> guard(lock_);
          failure_ = std::current_exception();
        }
      }
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::mutex runLock_;
  std::mutex lock_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  const std::function<void(int)> *body_ = nullptr;
  int parts_ = 0;
  int workerCount_ = 0;
  std::exception_ptr failure_;
};

}  // namespace

namespace ctorch {

void runParallel(int parts, const std::function<void(int)> &body) {
  // Never destroyed: its detached workers may still be running at exit.
  static KernelPool *pool = new KernelPool(std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1));
  if (parts <= 1 || pool->workerCount() == 0) {
    for (int part = 0; part < parts; ++part) body(part);
    return;
  }
  pool->run(parts, body);
}

}  // namespace ctorch
