#include "wallet/render.hpp"

#include <cstdio>

namespace tally::wallet {
namespace {

std::string text(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string ether(const Json& amount) {
  return text(amount["ether"]) + " ether (" + text(amount["wei"]) + " wei)";
}

std::string render_account(const Json& r) {
  std::string out = "address: " + text(r["address"]) + "\nkeystore file: " + text(r["path"]);
  if (r.contains("derivationPath")) out += "\nderivation path: " + text(r["derivationPath"]);
  return out;
}

std::string render_list(const Json& r) {
  std::string out = "keystore folder: " + text(r["keystore"]);
  if (r["accounts"].empty()) out += "\n(no accounts; create one with 'tally-wallet new')";
  std::size_t index = 0;
  for (const auto& account : r["accounts"]) {
    out += "\n#" + std::to_string(index++) + "  " + text(account["address"]) + "  " + text(account["path"]);
  }
  if (!r["skipped"].empty()) {
    out += "\n(" + std::to_string(r["skipped"].size()) + " file(s) skipped: not V3 keystores with an address)";
  }
  return out;
}

std::string render_balance(const Json& r) {
  std::string out;
  for (const auto& row : r["accounts"]) {
    if (!out.empty()) out += "\n";
    out += text(row["address"]) + "  " + ether(row["balance"]) + "  nonce " + text(row["nonce"]);
  }
  return out;
}

std::string render_tx(const Json& r) {
  std::string out = "hash:   " + text(r["hash"]) + "\nstatus: " + text(r["status"]);
  for (const char* field : {"from", "to", "type", "nonce", "gasLimit", "data", "blockNumber", "gasUsed"}) {
    if (r.contains(field)) out.append("\n").append(field).append(": ").append(text(r[field]));
  }
  if (r.contains("value")) out += "\nvalue: " + ether(r["value"]);
  if (r.contains("fee")) out += "\nfee paid: " + ether(r["fee"]);
  return out;
}

std::string render_mine(const Json& r) {
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.1f kH/s", r["hashRate"].get<double>() / 1000.0);
  std::string out = "mined " + text(r["found"]) + " block(s) to " + text(r["beneficiary"]);
  if (!r["blockNumbers"].empty()) out += " (numbers " + r["blockNumbers"].dump() + ")";
  out += "; " + text(r["hashes"]) + " hashes at " + rate;
  if (r["rejected"].get<std::uint64_t>() > 0) out += "; " + text(r["rejected"]) + " stale solution(s) refused";
  if (r["interrupted"].get<bool>()) out += "\nstopped by Ctrl-C";
  return out;
}

}  // namespace

std::string render_human(const std::string& command, const Json& r) {
  if (command == "new" || command == "import") return render_account(r);
  if (command == "list") return render_list(r);
  if (command == "balance") return render_balance(r);
  if (command == "tx" || command == "send") return render_tx(r);
  if (command == "mine") return render_mine(r);
  if (command == "export") {
    if (r.contains("path")) return "wrote the keystore of " + text(r["address"]) + " to " + text(r["path"]);
    return r["keystore"].dump(2);
  }
  return r.dump(2);
}

}  // namespace tally::wallet
