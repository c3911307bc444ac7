#pragma once
// One thread that runs callbacks when their time comes: the clock behind the
// PBFT replica's timers. Each timer has a slot; setting a slot replaces the
// timer pending in it (the replica's contract: one timer per kind). The
// callbacks run on the timer thread and must be short (they post work to
// the import strand).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace tally::node {

class TimerThread {
 public:
  using Callback = std::function<void()>;

  TimerThread();
  ~TimerThread();  // stop()
  TimerThread(const TimerThread&) = delete;
  TimerThread& operator=(const TimerThread&) = delete;

  // Runs `callback` after `delay`, replacing what was pending in `slot`.
  void set(std::uint32_t slot, std::chrono::milliseconds delay, Callback callback);
  void cancel(std::uint32_t slot);
  // Cancels everything and joins the thread; later set() calls do nothing.
  void stop();

 private:
  struct Entry {
    std::chrono::steady_clock::time_point due;
    Callback callback;
  };
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::uint32_t, Entry> timers_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tally::node
