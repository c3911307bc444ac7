#include "node/timer_thread.hpp"

namespace tally::node {

TimerThread::TimerThread() : thread_([this] { run(); }) {}

TimerThread::~TimerThread() {
  stop();
}

void TimerThread::set(std::uint32_t slot, std::chrono::milliseconds delay, Callback callback) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    timers_[slot] = Entry{std::chrono::steady_clock::now() + delay, std::move(callback)};
  }
  wake_.notify_all();
}

void TimerThread::cancel(std::uint32_t slot) {
  std::lock_guard lock(mutex_);
  timers_.erase(slot);
}

void TimerThread::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    timers_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TimerThread::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (timers_.empty()) {
      wake_.wait(lock, [this] { return stopping_ || !timers_.empty(); });
      continue;
    }
    auto next = timers_.begin();
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->second.due < next->second.due) next = it;
    }
    const auto now = std::chrono::steady_clock::now();
    if (next->second.due > now) {
      // Wakes early when a timer is set, replaced or cancelled. A copy of the
      // deadline: the entry may be erased while the lock is released.
      const auto due = next->second.due;
      wake_.wait_until(lock, due);
      continue;
    }
    Callback callback = std::move(next->second.callback);
    timers_.erase(next);
    lock.unlock();
    if (callback) callback();
    lock.lock();
  }
}

}  // namespace tally::node
