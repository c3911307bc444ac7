// The Prometheus text format writer and the instruments (node/metrics.hpp),
// without a node.

#include "node/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tally::node::metrics {
namespace {

TEST(MetricsTextTest, CounterAndGaugeFamiliesHaveHelpTypeAndSample) {
  TextWriter out;
  out.counter("tally_things_total", "Things counted.", 42);
  out.gauge("tally_height", "The height.", 1'000'000);
  EXPECT_EQ(out.text(),
            "# HELP tally_things_total Things counted.\n"
            "# TYPE tally_things_total counter\n"
            "tally_things_total 42\n"
            "# HELP tally_height The height.\n"
            "# TYPE tally_height gauge\n"
            "tally_height 1000000\n");
}

TEST(MetricsTextTest, LabelledSamplesShareOneFamily) {
  TextWriter out;
  out.family("tally_calls_total", "Calls.", Type::counter);
  out.sample({{"method", "eth_call"}}, std::uint64_t{3});
  out.sample({{"method", "eth_chainId"}, {"result", "ok"}}, std::uint64_t{5});
  EXPECT_EQ(out.text(),
            "# HELP tally_calls_total Calls.\n"
            "# TYPE tally_calls_total counter\n"
            "tally_calls_total{method=\"eth_call\"} 3\n"
            "tally_calls_total{method=\"eth_chainId\",result=\"ok\"} 5\n");
}

TEST(MetricsTextTest, LabelValuesAndHelpAreEscaped) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_help("back\\slash \"quoted\"\nnext"), "back\\\\slash \"quoted\"\\nnext");

  TextWriter out;
  out.family("tally_info", "Line one\nline two \\ end", Type::gauge);
  out.sample({{"version", "1.0 \"beta\"\\x\n"}}, std::uint64_t{1});
  EXPECT_EQ(out.text(),
            "# HELP tally_info Line one\\nline two \\\\ end\n"
            "# TYPE tally_info gauge\n"
            "tally_info{version=\"1.0 \\\"beta\\\"\\\\x\\n\"} 1\n");
}

TEST(MetricsTextTest, ValuesAreExactIntegersOrShortestDoubles) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(1e6), "1000000");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1.5e300), "1.5e+300");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  TextWriter out;
  out.counter("tally_big_total", "Past 2^53: exact.", 18'446'744'073'709'551'615ULL);
  EXPECT_NE(out.text().find("tally_big_total 18446744073709551615\n"), std::string::npos);
}

TEST(MetricsTextTest, HistogramHasCumulativeBucketsInfSumAndCount) {
  Histogram histogram({1, 2, 5});
  for (const double value : {0.5, 1.0, 2.0, 3.0, 7.0, 100.0}) histogram.observe(value);
  const auto snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.cumulative, (std::vector<std::uint64_t>{2, 3, 4}));
  EXPECT_EQ(snapshot.count, 6U);
  EXPECT_DOUBLE_EQ(snapshot.sum, 113.5);

  TextWriter out;
  out.histogram("tally_depth", "Depth.", snapshot);
  EXPECT_EQ(out.text(),
            "# HELP tally_depth Depth.\n"
            "# TYPE tally_depth histogram\n"
            "tally_depth_bucket{le=\"1\"} 2\n"
            "tally_depth_bucket{le=\"2\"} 3\n"
            "tally_depth_bucket{le=\"5\"} 4\n"
            "tally_depth_bucket{le=\"+Inf\"} 6\n"
            "tally_depth_sum 113.5\n"
            "tally_depth_count 6\n");
}

TEST(MetricsTextTest, HistogramLabelsComeBeforeLe) {
  Histogram histogram({0.5});
  histogram.observe(0.1);
  TextWriter out;
  out.family("tally_seconds", "Durations.", Type::histogram);
  out.histogram_sample({{"kind", "a"}}, histogram.snapshot());
  EXPECT_NE(out.text().find("tally_seconds_bucket{kind=\"a\",le=\"0.5\"} 1\n"), std::string::npos);
  EXPECT_NE(out.text().find("tally_seconds_sum{kind=\"a\"} 0.1\n"), std::string::npos);
  EXPECT_NE(out.text().find("tally_seconds_count{kind=\"a\"} 1\n"), std::string::npos);
}

TEST(MetricsTextTest, EmptyHistogramIsAllZeros) {
  Histogram histogram({1});
  TextWriter out;
  out.histogram("tally_empty", "Nothing yet.", histogram.snapshot());
  EXPECT_NE(out.text().find("tally_empty_bucket{le=\"1\"} 0\ntally_empty_bucket{le=\"+Inf\"} 0\n"
                            "tally_empty_sum 0\ntally_empty_count 0\n"),
            std::string::npos);
}

TEST(MetricsTextTest, ProgrammingErrorsAreRefused) {
  TextWriter out;
  EXPECT_THROW(out.sample({}, 1.0), std::invalid_argument);                             // no family yet
  EXPECT_THROW(out.family("tally_things", "x", Type::counter), std::invalid_argument);  // no _total
  EXPECT_THROW(out.family("1tally", "x", Type::gauge), std::invalid_argument);
  EXPECT_THROW(out.family("tally-x", "x", Type::gauge), std::invalid_argument);
  out.gauge("tally_x", "x", 1);
  EXPECT_THROW(out.gauge("tally_x", "again", 2), std::invalid_argument);  // written twice
  EXPECT_THROW(out.sample({{"bad-name", "v"}}, 1.0), std::invalid_argument);
  EXPECT_THROW(out.sample({{"__reserved", "v"}}, 1.0), std::invalid_argument);
  EXPECT_THROW(out.histogram_sample({}, Histogram({1}).snapshot()), std::invalid_argument);  // gauge family
  out.family("tally_h", "h", Type::histogram);
  EXPECT_THROW(out.sample({}, 1.0), std::invalid_argument);
  EXPECT_THROW(out.histogram_sample({{"le", "1"}}, Histogram({1}).snapshot()), std::invalid_argument);

  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({std::numeric_limits<double>::infinity()}), std::invalid_argument);
}

TEST(MetricsTextTest, NamesFollowThePrometheusGrammar) {
  EXPECT_TRUE(valid_metric_name("tally_chain_head_height"));
  EXPECT_TRUE(valid_metric_name("ns:sub_metric"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("with space"));
  EXPECT_TRUE(valid_label_name("method"));
  EXPECT_FALSE(valid_label_name("has:colon"));
  EXPECT_FALSE(valid_label_name("9lives"));
}

TEST(MetricsInstrumentTest, CountersAndHistogramsAddUpAcrossThreads) {
  Counter counter;
  Histogram histogram({10});
  constexpr int kThreads = 4;
  constexpr int kEach = 10'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        counter.inc();
        histogram.observe(i % 2 == 0 ? 1.0 : 20.0);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), std::uint64_t{kThreads} * kEach);
  const auto snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.count, std::uint64_t{kThreads} * kEach);
  EXPECT_EQ(snapshot.cumulative.at(0), std::uint64_t{kThreads} * kEach / 2);
  EXPECT_DOUBLE_EQ(snapshot.sum, kThreads * (kEach / 2) * 21.0);

  Gauge gauge;
  gauge.set(2.5);
  EXPECT_DOUBLE_EQ(gauge.value(), 2.5);
}

}  // namespace
}  // namespace tally::node::metrics
