#pragma once
// Human-readable text for a command's JSON result (the --json output is
// the JSON itself, documented in docs/wallet.md).

#include <string>

#include "wallet/node_client.hpp"

namespace tally::wallet {

std::string render_human(const std::string& command, const Json& result);

}  // namespace tally::wallet
