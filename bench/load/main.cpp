// tally_rpc_load --url http://127.0.0.1:8545 [--transfers M --senders S --concurrency C ...]
//   [--urls URL,URL,... --window W --finalized]
// Prints one JSON report on stdout; progress and errors go to stderr.
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "bench/load/rpc_load.hpp"

int main(int argc, char** argv) {
  tally::bench::LoadOptions options;
  CLI::App app{"JSON-RPC intake load: pre-signed EIP-1559 transfers through eth_sendRawTransaction"};
  std::size_t inclusion_timeout_s = 600;
  app.add_option("--url", options.url, "The node's JSON-RPC URL (http://host:port)")->required();
  app.add_option("--transfers,-m", options.transfers, "Transfers to submit")->capture_default_str();
  app.add_option("--senders,-s", options.senders, "Distinct senders (accounts 0..S-1 of the mnemonic)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--concurrency,-c", options.concurrency, "Concurrent keep-alive connections")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", options.batch, "Transfers per request (more than 1: a JSON-RPC batch)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--reads", options.reads, "eth_getBalance calls, and as many eth_blockNumber calls")
      ->capture_default_str();
  app.add_option("--funded", options.funded,
                 "Accounts of the mnemonic the node funds at start; the other senders are funded from them")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--mnemonic", options.mnemonic, "Mnemonic of the senders")->capture_default_str();
  app.add_option("--urls", options.submit_urls,
                 "Submit through these URLs (comma-separated; each sender to one of them) instead of --url")
      ->delimiter(',');
  app.add_option("--window", options.window,
                 "At most this many accepted transfers not yet in a block (0: no limit; a closed loop)")
      ->capture_default_str();
  app.add_flag("--finalized", options.finalized,
               "Count a transfer as included only once its block is finalized (the \"finalized\" tag)");
  app.add_option("--inclusion-timeout-s", inclusion_timeout_s, "Give up waiting for blocks after this long")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.inclusion_timeout = std::chrono::seconds(inclusion_timeout_s);
  try {
    std::cout << tally::bench::run_load(options).dump(2) << '\n';
  } catch (const std::exception& e) {
    std::cerr << "tally_rpc_load: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
