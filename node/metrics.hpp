#pragma once
// Prometheus metrics without dependencies: instruments a part updates from
// any thread (Counter, Gauge, Histogram: atomic values), and a writer of the
// text exposition format 0.0.4 that a scrape of GET /metrics answers with.
//
// Most of the node's metrics are read from the parts' own stats when a
// scrape comes (node_metrics.hpp); the instruments here hold only what no
// part keeps, such as reorg depths.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tally::node::metrics {

// The media type of the text format, for the Content-Type header.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

class Counter {
 public:
  void inc(std::uint64_t amount = 1) noexcept { value_.fetch_add(amount, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

struct HistogramSnapshot {
  std::vector<double> bounds;             // upper bounds, ascending (+Inf implied)
  std::vector<std::uint64_t> cumulative;  // observations <= bounds[i]
  std::uint64_t count = 0;                // all observations (the +Inf bucket)
  double sum = 0.0;
};

// Fixed buckets, chosen at construction. Buckets are counted one by one and
// summed at snapshot time, so a snapshot's cumulative counts are always
// ascending; one taken while another thread observes may have the sum one
// observation behind the count.
class Histogram {
 public:
  // `bounds`: finite upper bounds, strictly ascending; throws
  // std::invalid_argument otherwise.
  explicit Histogram(std::vector<double> bounds);
  void observe(double value) noexcept;
  HistogramSnapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> buckets_;  // per bucket, not cumulative; last: above every bound
  std::atomic<double> sum_{0.0};
};

struct Label {
  std::string name;
  std::string value;
};
using Labels = std::vector<Label>;

enum class Type : std::uint8_t { counter, gauge, histogram };

// Writes the text format. Each family is written once: `# HELP`, `# TYPE`,
// then its samples. Programming errors (a name that is not a valid metric
// or label name, a counter whose name does not end in `_total`, a family
// written twice, a sample before any family) throw std::invalid_argument.
class TextWriter {
 public:
  // Starts a family.
  void family(std::string_view name, std::string_view help, Type type);
  // A sample of the current counter or gauge family.
  void sample(const Labels& labels, double value);
  void sample(const Labels& labels, std::uint64_t value);
  // The _bucket, _sum and _count samples of the current histogram family.
  void histogram_sample(const Labels& labels, const HistogramSnapshot& snapshot);

  // A family with one unlabelled sample.
  void counter(std::string_view name, std::string_view help, std::uint64_t value);
  void gauge(std::string_view name, std::string_view help, double value);
  void histogram(std::string_view name, std::string_view help, const HistogramSnapshot& snapshot);

  const std::string& text() const noexcept { return out_; }

 private:
  void write_sample(std::string_view suffix, const Labels& labels, const Label* extra, std::string_view value);
  void require(bool histogram) const;

  std::string out_;
  std::string current_;
  Type current_type_ = Type::gauge;
  std::vector<std::string> written_;
};

// Label value escaping of the text format: backslash, double quote and
// line feed become \\, \" and \n.
std::string escape_label_value(std::string_view value);
// HELP text escaping: backslash and line feed.
std::string escape_help(std::string_view help);
// A sample value: integers exactly, +Inf, -Inf, NaN, otherwise the
// shortest text that reads back as the same double.
std::string format_value(double value);
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

}  // namespace tally::node::metrics
