// tallyd: the node daemon's entry point.

#include <CLI/CLI.hpp>
#include <iostream>

#include "node/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"tallyd: a peer-to-peer ledger node"};
  app.set_version_flag("--version", std::string(tally::node::kClientName));
  CLI11_PARSE(app, argc, argv);
  std::cout << tally::node::kClientName << "\n"
            << "The node daemon does not run a chain yet: this build provides the crypto,\n"
            << "ledger and proof-of-work libraries (see README.md, 'Status').\n";
  return 0;
}
