#include "node/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace tally::node::metrics {

namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::counter:
      return "counter";
    case Type::gauge:
      return "gauge";
    case Type::histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !(name_start(name.front()) || name.front() == ':')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return name_char(c) || c == ':'; });
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !name_start(name.front())) return false;
  if (name.starts_with("__")) return false;  // reserved for Prometheus itself
  return std::all_of(name.begin(), name.end(), name_char);
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Whole numbers (heights, sizes) as integers, not 1e+06.
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (value == std::trunc(value) && std::fabs(value) < kExactIntegers) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return {buffer, result.ptr};
}

// ---------------------------------------------------------------- Histogram

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), buckets_(bounds_.size() + 1) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i])) throw std::invalid_argument("histogram bucket bounds must be finite");
    if (i > 0 && bounds_[i] <= bounds_[i - 1]) {
      throw std::invalid_argument("histogram bucket bounds must be strictly ascending");
    }
  }
}

void Histogram::observe(double value) noexcept {
  const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), value);  // first bound >= value
  buckets_[static_cast<std::size_t>(at - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot snapshot;
  snapshot.bounds = bounds_;
  snapshot.cumulative.reserve(bounds_.size());
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  snapshot.count = running + buckets_.back().load(std::memory_order_relaxed);
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

// ---------------------------------------------------------------- TextWriter

void TextWriter::family(std::string_view name, std::string_view help, Type type) {
  if (!valid_metric_name(name)) throw std::invalid_argument("invalid metric name: " + std::string(name));
  if (type == Type::counter && !name.ends_with("_total")) {
    throw std::invalid_argument("counter names end in _total: " + std::string(name));
  }
  if (std::find(written_.begin(), written_.end(), name) != written_.end()) {
    throw std::invalid_argument("metric family written twice: " + std::string(name));
  }
  written_.emplace_back(name);
  current_ = name;
  current_type_ = type;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void TextWriter::require(bool histogram) const {
  if (current_.empty()) throw std::invalid_argument("metric sample written before its family");
  if (histogram != (current_type_ == Type::histogram)) {
    throw std::invalid_argument("sample of the wrong kind for metric family " + current_);
  }
}

void TextWriter::write_sample(std::string_view suffix, const Labels& labels, const Label* extra,
                              std::string_view value) {
  out_ += current_;
  out_ += suffix;
  if (!labels.empty() || extra != nullptr) {
    out_ += '{';
    bool first = true;
    auto append = [&](const Label& label) {
      if (!valid_label_name(label.name)) throw std::invalid_argument("invalid label name: " + label.name);
      if (!first) out_ += ',';
      first = false;
      out_ += label.name;
      out_ += "=\"";
      out_ += escape_label_value(label.value);
      out_ += '"';
    };
    for (const auto& label : labels) append(label);
    if (extra != nullptr) append(*extra);
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void TextWriter::sample(const Labels& labels, double value) {
  require(false);
  write_sample("", labels, nullptr, format_value(value));
}

void TextWriter::sample(const Labels& labels, std::uint64_t value) {
  require(false);
  write_sample("", labels, nullptr, std::to_string(value));
}

void TextWriter::histogram_sample(const Labels& labels, const HistogramSnapshot& snapshot) {
  require(true);
  for (const auto& label : labels) {
    if (label.name == "le") throw std::invalid_argument("histogram samples cannot have a label named le");
  }
  for (std::size_t i = 0; i < snapshot.bounds.size() && i < snapshot.cumulative.size(); ++i) {
    const Label le{"le", format_value(snapshot.bounds[i])};
    write_sample("_bucket", labels, &le, std::to_string(snapshot.cumulative[i]));
  }
  const Label inf{"le", "+Inf"};
  write_sample("_bucket", labels, &inf, std::to_string(snapshot.count));
  write_sample("_sum", labels, nullptr, format_value(snapshot.sum));
  write_sample("_count", labels, nullptr, std::to_string(snapshot.count));
}

void TextWriter::counter(std::string_view name, std::string_view help, std::uint64_t value) {
  family(name, help, Type::counter);
  sample({}, value);
}

void TextWriter::gauge(std::string_view name, std::string_view help, double value) {
  family(name, help, Type::gauge);
  sample({}, value);
}

void TextWriter::histogram(std::string_view name, std::string_view help, const HistogramSnapshot& snapshot) {
  family(name, help, Type::histogram);
  histogram_sample({}, snapshot);
}

}  // namespace tally::node::metrics
