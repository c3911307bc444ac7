#include "bench/load/rpc_load.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "chain/transaction.hpp"
#include "crypto/address.hpp"
#include "crypto/hd.hpp"
#include "crypto/hex.hpp"
#include "rpc/client.hpp"

namespace tally::bench {
namespace {

using rpc::Json;

constexpr std::uint64_t kGwei = 1'000'000'000;
constexpr std::uint64_t kTransferGas = 21'000;
// Each sender beyond the pre-funded accounts gets this much in setup: far
// more than its transfers can cost at the fee cap below.
constexpr std::uint64_t kFundingWei = 10'000'000'000'000'000'000ULL;  // 10 ETH
constexpr std::size_t kBlocksPerBatch = 100;                          // also the most calls in one batch

struct Sender {
  crypto::PrivateKey key;
  Address address{};
  std::string address_hex;  // 0x-prefixed lowercase
  std::uint64_t nonce = 0;
};

struct SignedTx {
  std::string raw;   // 0x-prefixed network encoding
  std::string hash;  // 0x-prefixed lowercase hex
};

struct Fees {
  U256 max_fee;
  U256 priority_fee;
};

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string quantity(std::uint64_t value) {
  return u256_to_quantity(U256(value));
}

U256 parse_quantity(const Json& value, const char* what) {
  auto parsed = value.is_string() ? u256_from_quantity(value.get<std::string>()) : Result<U256>(fail("not a string"));
  if (!parsed) throw std::runtime_error(std::string(what) + ": not a quantity: " + value.dump());
  return *parsed;
}

std::uint64_t parse_u64(const Json& value, const char* what) {
  U256 parsed = parse_quantity(value, what);
  if (parsed > U256(UINT64_MAX)) throw std::runtime_error(std::string(what) + ": too large: " + value.dump());
  return parsed.convert_to<std::uint64_t>();
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::vector<Sender> derive_senders(const LoadOptions& options) {
  std::vector<Sender> senders;
  for (std::size_t i = 0; i < options.senders; ++i) {
    auto key = crypto::dev_account_key(options.mnemonic, static_cast<std::uint32_t>(i));
    if (!key) throw std::runtime_error("deriving sender " + std::to_string(i) + ": " + key.error().message);
    Address address = crypto::address_of(crypto::public_key_of(*key));
    senders.push_back({*key, address, to_hex_prefixed(address), 0});
  }
  return senders;
}

SignedTx sign_transfer(const Sender& from, std::uint64_t nonce, const Address& to, const U256& value,
                       std::uint64_t chain_id, const Fees& fees) {
  chain::Transaction tx;
  tx.type = chain::TxType::dynamic_fee;
  tx.chain_id = chain_id;
  tx.nonce = nonce;
  tx.max_fee_per_gas = fees.max_fee;
  tx.max_priority_fee_per_gas = fees.priority_fee;
  tx.gas_limit = kTransferGas;
  tx.to = to;
  tx.value = value;
  chain::sign(tx, from.key);
  return {to_hex_prefixed(chain::encode(tx)), to_hex_prefixed(chain::tx_hash(tx))};
}

// A fresh recipient per transfer, so every transfer also creates an account.
Address recipient(std::size_t index) {
  Address address{};
  address[0] = 0xbe;
  for (std::size_t byte = 0; byte < 8; ++byte) {
    address[19 - byte] = static_cast<std::uint8_t>((index >> (8 * byte)) & 0xff);
  }
  return address;
}

// Results of the calls in order, sent in batches of at most kBlocksPerBatch
// (the node's batch limit is 100); throws when any call failed.
void call_batch_checked(rpc::HttpClient& client, const std::vector<std::pair<std::string, Json>>& calls,
                        std::vector<Json>& results) {
  results.clear();
  for (std::size_t begin = 0; begin < calls.size(); begin += kBlocksPerBatch) {
    const std::size_t end = std::min(calls.size(), begin + kBlocksPerBatch);
    auto replies = client.batch(
        {calls.begin() + static_cast<std::ptrdiff_t>(begin), calls.begin() + static_cast<std::ptrdiff_t>(end)});
    for (std::size_t i = 0; i < replies.size(); ++i) {
      if (!replies[i].result) {
        std::string why = replies[i].error ? replies[i].error->what() : "no reply";
        throw std::runtime_error(calls[begin + i].first + " failed: " + why);
      }
      results.push_back(std::move(*replies[i].result));
    }
  }
}

void fetch_nonces(rpc::HttpClient& client, std::vector<Sender>& senders, std::size_t count) {
  std::vector<std::pair<std::string, Json>> calls;
  for (std::size_t i = 0; i < count; ++i) {
    calls.emplace_back("eth_getTransactionCount", Json::array({senders[i].address_hex, "pending"}));
  }
  std::vector<Json> results;
  call_batch_checked(client, calls, results);
  for (std::size_t i = 0; i < count; ++i) senders[i].nonce = parse_u64(results[i], "eth_getTransactionCount");
}

// Polls receipts until every hash has one; throws at the deadline.
void wait_for_receipts(rpc::HttpClient& client, std::vector<std::string> hashes, Clock::time_point deadline) {
  while (!hashes.empty()) {
    std::vector<std::pair<std::string, Json>> calls;
    for (const auto& hash : hashes) calls.emplace_back("eth_getTransactionReceipt", Json::array({hash}));
    std::vector<Json> receipts;
    call_batch_checked(client, calls, receipts);
    std::vector<std::string> waiting;
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      if (receipts[i].is_null()) waiting.push_back(hashes[i]);
    }
    hashes = std::move(waiting);
    if (hashes.empty()) return;
    if (Clock::now() > deadline) {
      throw std::runtime_error(std::to_string(hashes.size()) + " setup transfers not mined in time (first: " +
                               hashes.front() + "); is the node mining?");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Senders past the pre-funded accounts get coins from those, one transfer
// each, sent in nonce order per funder (Hardhat refuses nonce gaps).
std::size_t fund_senders(rpc::HttpClient& client, std::vector<Sender>& senders, const LoadOptions& options,
                         std::uint64_t chain_id, const Fees& fees) {
  if (senders.size() <= options.funded) return 0;
  fetch_nonces(client, senders, options.funded);
  std::vector<std::string> hashes;
  for (std::size_t i = options.funded; i < senders.size(); ++i) {
    Sender& funder = senders[(i - options.funded) % options.funded];
    SignedTx tx = sign_transfer(funder, funder.nonce++, senders[i].address, U256(kFundingWei), chain_id, fees);
    client.call("eth_sendRawTransaction", Json::array({tx.raw}));
    hashes.push_back(tx.hash);
  }
  wait_for_receipts(client, hashes, Clock::now() + options.inclusion_timeout);
  return hashes.size();
}

// Shared between the submitting workers and the block watcher.
struct Progress {
  std::atomic<std::size_t> accepted{0};
  std::atomic<std::size_t> included{0};
  std::atomic<bool> submitting{true};
  Clock::time_point deadline{};
  // Signalled when `included` grows: only a new block opens the window.
  std::mutex mutex;
  std::condition_variable window_moved;

  void set_included(std::size_t count) {
    {
      std::lock_guard lock(mutex);
      included.store(count);
    }
    window_moved.notify_all();
  }
};

// With a window, waits until fewer than `window` accepted transfers are
// still out of blocks; false at the deadline. The submitters sleep until a
// block lands: polling (every 0.5 ms on each of 16 threads) woke them some
// 20,000 times a second, and every wake-up preempted a node under test.
bool wait_for_window(const LoadOptions& options, Progress& progress, std::size_t more) {
  if (options.window == 0) return true;
  std::unique_lock lock(progress.mutex);
  return progress.window_moved.wait_until(lock, progress.deadline, [&] {
    return progress.accepted.load() + more <= progress.included.load() + options.window;
  });
}

const std::string& submit_url(const LoadOptions& options, std::size_t worker) {
  return options.submit_urls.empty() ? options.url : options.submit_urls[worker % options.submit_urls.size()];
}

struct WorkerResult {
  LatencySample latency;
  std::size_t accepted = 0;
  std::size_t errors = 0;
  std::size_t skipped = 0;
  std::size_t hash_mismatches = 0;
  std::map<std::string, std::size_t> error_messages;
};

// Worker `w` owns the senders s with s % workers == w and sends each one's
// transfers in nonce order, `batch` per request (a JSON-RPC batch when more
// than one; the node runs a batch's calls in order), to one submission URL.
// After a refusal the sender's later transfers would have a nonce gap, so
// they are skipped (as are those the window holds back past the deadline).
WorkerResult submit_worker(const LoadOptions& options, std::size_t w, std::size_t workers,
                           const std::vector<SignedTx>& txs, std::vector<Clock::time_point>& sent_at,
                           Progress& progress) {
  rpc::HttpClient client(submit_url(options, w), rpc::ClientOptions{options.call_timeout, {}});
  WorkerResult result;
  std::vector<bool> refused(options.senders, false);
  std::vector<std::size_t> pending;  // indexes into txs, in submission order
  auto note_error = [&](std::size_t k, const std::string& what) {
    ++result.errors;
    ++result.error_messages[what.substr(0, 160)];
    refused[k % options.senders] = true;
  };
  auto flush = [&] {
    if (pending.empty()) return;
    Clock::time_point start = Clock::now();
    std::vector<std::pair<std::string, Json>> calls;
    for (std::size_t k : pending) {
      sent_at[k] = start;
      calls.emplace_back("eth_sendRawTransaction", Json::array({txs[k].raw}));
    }
    try {
      std::vector<rpc::BatchReply> replies;
      if (calls.size() == 1) {
        replies.push_back(rpc::BatchReply{client.call(calls[0].first, calls[0].second), std::nullopt});
      } else {
        replies = client.batch(calls);
      }
      for (std::size_t i = 0; i < pending.size(); ++i) {
        const std::size_t k = pending[i];
        if (i >= replies.size() || !replies[i].result) {
          note_error(k, i < replies.size() && replies[i].error ? replies[i].error->what() : "no reply");
          continue;
        }
        const Json& hash = *replies[i].result;
        if (!hash.is_string() || lower(hash.get<std::string>()) != txs[k].hash) ++result.hash_mismatches;
        ++result.accepted;
        progress.accepted.fetch_add(1);
      }
    } catch (const std::exception& e) {
      for (std::size_t k : pending) note_error(k, e.what());
    }
    const double ms = ms_between(start, Clock::now());
    result.latency.ms.insert(result.latency.ms.end(), pending.size(), ms);
    pending.clear();
  };
  std::size_t rounds = (txs.size() + options.senders - 1) / options.senders;
  for (std::size_t round = 0; round < rounds; ++round) {
    for (std::size_t s = w; s < options.senders; s += workers) {
      std::size_t k = round * options.senders + s;
      if (k >= txs.size()) continue;
      // A sender's earlier transfer still pending: send it first, so a
      // refusal is known before its successor goes out.
      if (std::any_of(pending.begin(), pending.end(), [&](std::size_t p) { return p % options.senders == s; })) {
        flush();
      }
      if (refused[s] || !wait_for_window(options, progress, pending.size() + 1)) {
        ++result.skipped;
        continue;
      }
      pending.push_back(k);
      if (pending.size() >= options.batch) flush();
    }
  }
  flush();
  return result;
}

struct InclusionResult {
  std::size_t included = 0;
  std::size_t blocks_with_load = 0;
  std::size_t poll_errors = 0;
  std::string last_poll_error;
  Clock::time_point last_seen{};
  // Each block holding load: when it was seen, and how many of ours it held.
  std::vector<std::pair<Clock::time_point, std::size_t>> load_blocks;
};

// Marks our transactions in `blocks` as included at `now`.
void note_blocks(const std::vector<Json>& blocks, Clock::time_point now,
                 const std::unordered_map<std::string, std::size_t>& index_by_hash, std::vector<bool>& seen,
                 std::vector<Clock::time_point>& included_at, InclusionResult& result) {
  for (const Json& block : blocks) {
    if (!block.is_object()) throw std::runtime_error("eth_getBlockByNumber returned " + block.dump());
    std::size_t ours = 0;
    for (const Json& hash : block.value("transactions", Json::array())) {
      auto found = index_by_hash.find(lower(hash.get<std::string>()));
      if (found == index_by_hash.end() || seen[found->second]) continue;
      seen[found->second] = true;
      included_at[found->second] = now;
      ++result.included;
      ++ours;
      result.last_seen = now;
    }
    if (ours > 0) {
      ++result.blocks_with_load;
      result.load_blocks.emplace_back(now, ours);
    }
  }
}

// The highest block the watcher reads: the head, or the finalized block.
// The finalized block is fetched only while the head is past the last one
// seen: it comes whole (every transaction hash, ~100 KB at saturation), and
// fetching it on every 10 ms poll made the node serialize, and this
// process parse, megabytes a second on the cores the benchmark measures.
std::uint64_t watched_head(rpc::HttpClient& client, bool finalized, std::uint64_t& last_finalized) {
  const std::uint64_t head = parse_u64(client.call("eth_blockNumber"), "eth_blockNumber");
  if (!finalized) return head;
  if (head <= last_finalized) return last_finalized;
  Json block = client.call("eth_getBlockByNumber", Json::array({"finalized", false}));
  if (!block.is_object()) throw std::runtime_error("eth_getBlockByNumber(finalized) returned " + block.dump());
  last_finalized = parse_u64(block.at("number"), "finalized block number");
  return last_finalized;
}

// Reads every new block (batches of kBlocksPerBatch) and notes when each of
// our transactions is first seen in one. Stops once everything accepted is
// included after submission has ended, or at the deadline.
InclusionResult watch_blocks(const LoadOptions& options, std::uint64_t next_block,
                             const std::unordered_map<std::string, std::size_t>& index_by_hash,
                             std::vector<Clock::time_point>& included_at, Progress& progress,
                             Clock::time_point deadline) {
  rpc::HttpClient client(options.url, rpc::ClientOptions{options.call_timeout, {}});
  InclusionResult result;
  std::vector<bool> seen(index_by_hash.size(), false);
  std::uint64_t last_finalized = 0;
  while (Clock::now() < deadline) {
    try {
      std::uint64_t head = watched_head(client, options.finalized, last_finalized);
      if (head >= next_block) {
        std::uint64_t last = std::min<std::uint64_t>(head, next_block + kBlocksPerBatch - 1);
        std::vector<std::pair<std::string, Json>> calls;
        for (std::uint64_t n = next_block; n <= last; ++n) {
          calls.emplace_back("eth_getBlockByNumber", Json::array({quantity(n), false}));
        }
        std::vector<Json> blocks;
        call_batch_checked(client, calls, blocks);
        note_blocks(blocks, Clock::now(), index_by_hash, seen, included_at, result);
        progress.set_included(result.included);
        next_block = last + 1;
        if (last < head) continue;
      }
    } catch (const std::exception& e) {
      // A node busy with the load may time out a poll; try again.
      ++result.poll_errors;
      result.last_poll_error = e.what();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!progress.submitting.load() && result.included >= progress.accepted.load()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return result;
}

// `calls` calls of one read method at the load's concurrency.
Json measure_reads(const LoadOptions& options, const std::string& method,
                   const std::function<Json(std::size_t)>& params_of) {
  std::size_t workers = std::max<std::size_t>(1, std::min(options.concurrency, options.reads));
  std::vector<WorkerResult> results(workers);
  Clock::time_point start = Clock::now();
  {
    std::vector<std::jthread> threads;
    for (std::size_t w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        rpc::HttpClient client(options.url, rpc::ClientOptions{options.call_timeout, {}});
        for (std::size_t i = w; i < options.reads; i += workers) {
          Clock::time_point call_start = Clock::now();
          try {
            client.call(method, params_of(i));
            ++results[w].accepted;
          } catch (const std::exception& e) {
            ++results[w].errors;
            ++results[w].error_messages[std::string(e.what()).substr(0, 160)];
          }
          results[w].latency.ms.push_back(ms_between(call_start, Clock::now()));
        }
      });
    }
  }
  double seconds = seconds_between(start, Clock::now());
  LatencySample latency;
  std::size_t ok = 0, errors = 0;
  std::map<std::string, std::size_t> messages;
  for (auto& r : results) {
    latency.ms.insert(latency.ms.end(), r.latency.ms.begin(), r.latency.ms.end());
    ok += r.accepted;
    errors += r.errors;
    for (auto& [message, count] : r.error_messages) messages[message] += count;
  }
  return {{"calls", ok},
          {"errors", errors},
          {"error_messages", messages},
          {"seconds", seconds},
          {"calls_per_s", seconds > 0 ? static_cast<double>(ok) / seconds : 0.0},
          {"latency_ms", latency.summary()}};
}

Fees choose_fees(rpc::HttpClient& client) {
  // A cap far above the node's price (and at least 100 gwei), so no
  // transfer is refused or left out of a block for its fee as blocks fill.
  U256 gas_price = parse_quantity(client.call("eth_gasPrice"), "eth_gasPrice");
  U256 max_fee = std::max(gas_price * 10, U256(100 * kGwei));
  return {max_fee, U256(kGwei)};
}

}  // namespace

double LatencySample::percentile(double p) const {
  if (ms.empty()) return 0.0;
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

Json LatencySample::summary() const {
  return {{"p50", percentile(50)}, {"p99", percentile(99)}, {"max", percentile(100)}, {"count", ms.size()}};
}

Json run_load(const LoadOptions& options) {
  if (options.senders == 0 || options.concurrency == 0 || options.funded == 0) {
    throw std::invalid_argument("--senders, --concurrency and --funded must be at least 1");
  }
  rpc::HttpClient client(options.url, rpc::ClientOptions{options.call_timeout, {}});
  std::uint64_t chain_id = parse_u64(client.call("eth_chainId"), "eth_chainId");
  for (const auto& url : options.submit_urls) {
    rpc::HttpClient other(url, rpc::ClientOptions{options.call_timeout, {}});
    if (parse_u64(other.call("eth_chainId"), "eth_chainId") != chain_id) {
      throw std::runtime_error(url + " serves another chain than " + options.url);
    }
  }
  std::string client_version = "unknown";
  try {
    client_version = client.call("web3_clientVersion").get<std::string>();
  } catch (const std::exception&) {
    // Optional method; the report says "unknown".
  }
  Fees fees = choose_fees(client);

  Clock::time_point setup_start = Clock::now();
  std::vector<Sender> senders = derive_senders(options);
  std::size_t funding = fund_senders(client, senders, options, chain_id, fees);
  fetch_nonces(client, senders, senders.size());
  double setup_seconds = seconds_between(setup_start, Clock::now());

  // Transfer k is sender (k % S)'s (k / S)-th.
  std::vector<SignedTx> txs;
  txs.reserve(options.transfers);
  std::unordered_map<std::string, std::size_t> index_by_hash;
  for (std::size_t k = 0; k < options.transfers; ++k) {
    Sender& sender = senders[k % options.senders];
    txs.push_back(sign_transfer(sender, sender.nonce++, recipient(k), U256(1), chain_id, fees));
    index_by_hash.emplace(txs.back().hash, k);
  }

  std::uint64_t next_block = parse_u64(client.call("eth_blockNumber"), "eth_blockNumber") + 1;
  std::vector<Clock::time_point> sent_at(txs.size()), included_at(txs.size());
  Progress progress;
  std::size_t workers = std::min(options.concurrency, options.senders);
  Clock::time_point submit_start = Clock::now();
  progress.deadline = submit_start + options.inclusion_timeout;
  InclusionResult inclusion;
  std::thread watcher([&] {
    inclusion = watch_blocks(options, next_block, index_by_hash, included_at, progress,
                             submit_start + options.inclusion_timeout);
  });
  std::vector<WorkerResult> results(workers);
  {
    std::vector<std::jthread> threads;
    for (std::size_t w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] { results[w] = submit_worker(options, w, workers, txs, sent_at, progress); });
    }
  }
  double submit_seconds = seconds_between(submit_start, Clock::now());
  progress.submitting.store(false);
  watcher.join();

  WorkerResult total;
  for (auto& r : results) {
    total.latency.ms.insert(total.latency.ms.end(), r.latency.ms.begin(), r.latency.ms.end());
    total.accepted += r.accepted;
    total.errors += r.errors;
    total.skipped += r.skipped;
    total.hash_mismatches += r.hash_mismatches;
    for (auto& [message, count] : r.error_messages) total.error_messages[message] += count;
  }
  LatencySample inclusion_latency;
  for (std::size_t k = 0; k < txs.size(); ++k) {
    if (included_at[k] != Clock::time_point{}) inclusion_latency.ms.push_back(ms_between(sent_at[k], included_at[k]));
  }
  bool all_included = inclusion.included == total.accepted && total.accepted == txs.size();
  // The steady rate leaves out the ramp-up and the drain: transactions in
  // the blocks after the first one holding load, up to the last one seen
  // while submitting (all of them if fewer than two), over the time from
  // that first block to the last one counted.
  Json steady_rate;
  Json load_blocks = Json::array();
  std::vector<std::pair<Clock::time_point, std::size_t>> saturated;
  const Clock::time_point submit_end =
      submit_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(submit_seconds));
  for (const auto& [seen_at, count] : inclusion.load_blocks) {
    load_blocks.push_back(Json::array({seconds_between(submit_start, seen_at), count}));
    if (seen_at <= submit_end) saturated.emplace_back(seen_at, count);
  }
  if (saturated.size() < 2) saturated = inclusion.load_blocks;
  if (saturated.size() >= 2) {
    std::size_t after_first = 0;
    for (std::size_t i = 1; i < saturated.size(); ++i) after_first += saturated[i].second;
    steady_rate = static_cast<double>(after_first) / seconds_between(saturated.front().first, saturated.back().first);
  }

  Json report;
  report["node"] = {{"url", options.url}, {"client_version", client_version}, {"chain_id", chain_id}};
  report["load"] = {
      {"transfers", options.transfers},
      {"senders", options.senders},
      {"concurrency", options.concurrency},
      {"batch", options.batch},
      {"submit_connections", workers},
      {"reads", options.reads},
      {"funded_at_start", options.funded},
      {"submit_urls", options.submit_urls.empty() ? Json::array({options.url}) : Json(options.submit_urls)},
      {"window", options.window},
      {"watched", options.finalized ? "finalized" : "latest"},
      {"max_fee_per_gas", u256_to_decimal(fees.max_fee)}};
  report["setup"] = {{"funding_transfers", funding}, {"seconds", setup_seconds}};
  report["submit"] = {{"accepted", total.accepted},
                      {"errors", total.errors},
                      {"skipped_after_error", total.skipped},
                      {"hash_mismatches", total.hash_mismatches},
                      {"error_messages", total.error_messages},
                      {"seconds", submit_seconds},
                      {"accepted_per_s", static_cast<double>(total.accepted) / submit_seconds},
                      {"latency_ms", total.latency.summary()}};
  report["inclusion"] = {
      {"included", inclusion.included},
      {"all_included", all_included},
      {"blocks_with_load", inclusion.blocks_with_load},
      {"poll_errors", inclusion.poll_errors},
      {"last_poll_error", inclusion.last_poll_error},
      {"seconds_to_all", all_included ? Json(seconds_between(submit_start, inclusion.last_seen)) : Json()},
      {"included_per_s", inclusion.included > 0 ? Json(static_cast<double>(inclusion.included) /
                                                       seconds_between(submit_start, inclusion.last_seen))
                                                : Json()},
      {"steady_included_per_s", steady_rate},
      {"load_blocks", load_blocks},
      {"latency_ms", inclusion_latency.summary()}};
  report["eth_getBalance"] = measure_reads(options, "eth_getBalance", [&](std::size_t i) {
    return Json::array({senders[i % senders.size()].address_hex, "latest"});
  });
  report["eth_blockNumber"] = measure_reads(options, "eth_blockNumber", [](std::size_t) { return Json::array(); });
  return report;
}

}  // namespace tally::bench
