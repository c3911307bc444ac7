#include "chain/genesis.hpp"

#include <cctype>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "chain/state.hpp"
#include "crypto/address.hpp"
#include "crypto/hd.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::chain {

namespace {

using nlohmann::json;

Unexpected field_fail(const std::string& path, const std::string& message) {
  return fail("genesis: " + path + ": " + message);
}

std::string join(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// Parses JSON, refusing duplicate keys (nlohmann would keep the last one).
Result<json> parse_json(std::string_view text) {
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  const json::parser_callback_t track = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (event == json::parse_event_t::key && !keys.empty() && parsed.is_string()) {
      if (!keys.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
        duplicate = parsed.get<std::string>();
      }
    }
    return true;
  };
  try {
    json doc = json::parse(text.begin(), text.end(), track);
    if (!duplicate.empty()) return fail("genesis: duplicate key \"" + duplicate + "\"");
    return doc;
  } catch (const json::exception& e) {
    return fail(std::string("genesis: invalid JSON: ") + e.what());
  }
}

Result<void> check_object(const json& value, const std::string& path, std::initializer_list<std::string_view> allowed) {
  if (!value.is_object()) return field_fail(path.empty() ? "top level" : path, "must be a JSON object");
  for (const auto& [key, ignored] : value.items()) {
    bool known = false;
    for (const auto name : allowed) known = known || key == name;
    if (!known) return field_fail(join(path, key), "unknown field");
  }
  return {};
}

// "0x" followed by 1..64 hex digits; leading zeros allowed (geth genesis
// files pad quantities).
Result<U256> parse_hex_quantity(std::string_view digits) {
  if (digits.empty()) return fail("empty hex number after 0x");
  if (digits.size() > 64) return fail("hex number longer than 64 digits (256 bits)");
  U256 v = 0;
  for (const char c : digits) {
    int d = 0;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return fail(std::string("invalid hex digit '") + c + "'");
    }
    v = (v << 4) | static_cast<unsigned>(d);
  }
  return v;
}

Result<U256> to_u256(const json& value, const std::string& path) {
  switch (value.type()) {
    case json::value_t::number_unsigned:
      return U256(value.get<std::uint64_t>());
    case json::value_t::number_integer:
      if (value.get<std::int64_t>() < 0) return field_fail(path, "must not be negative");
      return U256(static_cast<std::uint64_t>(value.get<std::int64_t>()));
    case json::value_t::number_float:
      return field_fail(path, "must be an unsigned integer (write values of 2^64 and above as a decimal or 0x string)");
    case json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      if (!text.empty() && text[0] == '-') return field_fail(path, "must not be negative");
      Result<U256> parsed = (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
                                ? parse_hex_quantity(std::string_view(text).substr(2))
                                : u256_from_decimal(text);
      if (!parsed) return field_fail(path, parsed.error().message);
      return parsed;
    }
    default:
      return field_fail(path, "must be a number, a decimal string or a 0x hex string");
  }
}

Result<std::uint64_t> to_u64(const json& value, const std::string& path) {
  auto v = to_u256(value, path);
  if (!v) return Unexpected{v.error()};
  if (*v > std::numeric_limits<std::uint64_t>::max()) return field_fail(path, "does not fit 64 bits");
  return static_cast<std::uint64_t>(*v);
}

const json* find(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

Result<const json*> require(const json& object, const std::string& path, const char* key) {
  const json* value = find(object, key);
  if (value == nullptr) return field_fail(join(path, key), "missing required field");
  return value;
}

Result<U256> required_u256(const json& object, const std::string& path, const char* key) {
  auto value = require(object, path, key);
  if (!value) return Unexpected{value.error()};
  return to_u256(**value, join(path, key));
}

Result<std::uint64_t> required_u64(const json& object, const std::string& path, const char* key) {
  auto value = require(object, path, key);
  if (!value) return Unexpected{value.error()};
  return to_u64(**value, join(path, key));
}

Result<std::uint64_t> optional_u64(const json& object, const std::string& path, const char* key,
                                   std::uint64_t fallback) {
  const json* value = find(object, key);
  if (value == nullptr) return fallback;
  return to_u64(*value, join(path, key));
}

Result<U256> optional_u256(const json& object, const std::string& path, const char* key, const U256& fallback) {
  const json* value = find(object, key);
  if (value == nullptr) return fallback;
  return to_u256(*value, join(path, key));
}

Result<Address> to_address(const json& value, const std::string& path) {
  if (!value.is_string()) return field_fail(path, "an address must be a string");
  std::string text = value.get<std::string>();
  if (text.size() == 40) text = "0x" + text;  // geth writes alloc keys without 0x
  auto address = crypto::parse_address(text);
  if (!address) return field_fail(path, address.error().message);
  return address;
}

Result<PowParams> parse_pow(const json& c, const std::string& path) {
  if (auto ok = check_object(
          c, path, {"type", "targetBlockTimeSeconds", "initialDifficulty", "minimumDifficulty", "blockReward"});
      !ok) {
    return Unexpected{ok.error()};
  }
  PowParams p;
  auto time = required_u64(c, path, "targetBlockTimeSeconds");
  if (!time) return Unexpected{time.error()};
  if (*time == 0) return field_fail(join(path, "targetBlockTimeSeconds"), "must be at least 1");
  p.target_block_time_seconds = *time;
  auto initial = required_u256(c, path, "initialDifficulty");
  if (!initial) return Unexpected{initial.error()};
  if (*initial == 0) return field_fail(join(path, "initialDifficulty"), "must be at least 1");
  p.initial_difficulty = *initial;
  auto minimum = required_u256(c, path, "minimumDifficulty");
  if (!minimum) return Unexpected{minimum.error()};
  if (*minimum == 0) return field_fail(join(path, "minimumDifficulty"), "must be at least 1");
  if (*minimum > p.initial_difficulty) {
    return field_fail(join(path, "minimumDifficulty"), "must not exceed initialDifficulty");
  }
  p.minimum_difficulty = *minimum;
  auto reward = required_u256(c, path, "blockReward");
  if (!reward) return Unexpected{reward.error()};
  p.block_reward = *reward;
  return p;
}

Result<PbftParams> parse_pbft(const json& c, const std::string& path) {
  if (auto ok = check_object(c, path, {"type", "validators", "timeoutMs", "blockReward"}); !ok) {
    return Unexpected{ok.error()};
  }
  PbftParams p;
  auto list = require(c, path, "validators");
  if (!list) return Unexpected{list.error()};
  const std::string list_path = join(path, "validators");
  if (!(*list)->is_array()) return field_fail(list_path, "must be an array of addresses");
  if ((*list)->empty()) return field_fail(list_path, "needs at least one validator");
  if ((*list)->size() > GenesisLimits::kMaxValidators) {
    return field_fail(list_path, "more than " + std::to_string(GenesisLimits::kMaxValidators) + " validators");
  }
  std::set<Address> seen;
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    const std::string item_path = list_path + "[" + std::to_string(i) + "]";
    auto address = to_address((**list)[i], item_path);
    if (!address) return Unexpected{address.error()};
    if (!seen.insert(*address).second) {
      return field_fail(item_path, "duplicate validator " + crypto::to_checksum_address(*address));
    }
    p.validators.push_back(*address);
  }
  auto timeout = optional_u64(c, path, "timeoutMs", kDefaultPbftTimeoutMs);
  if (!timeout) return Unexpected{timeout.error()};
  if (*timeout == 0) return field_fail(join(path, "timeoutMs"), "must be at least 1");
  p.timeout_ms = *timeout;
  auto reward = optional_u256(c, path, "blockReward", 0);
  if (!reward) return Unexpected{reward.error()};
  p.block_reward = *reward;
  return p;
}

Result<ConsensusParams> parse_consensus(const json& doc) {
  auto c = require(doc, "", "consensus");
  if (!c) return Unexpected{c.error()};
  if (!(*c)->is_object()) return field_fail("consensus", "must be a JSON object");
  auto type = require(**c, "consensus", "type");
  if (!type) return Unexpected{type.error()};
  if (!(*type)->is_string()) return field_fail("consensus.type", "must be a string (\"pow\" or \"pbft\")");
  const auto& name = (*type)->get_ref<const std::string&>();
  if (name == "pow") {
    auto pow = parse_pow(**c, "consensus");
    if (!pow) return Unexpected{pow.error()};
    return ConsensusParams{std::move(*pow)};
  }
  if (name == "pbft") {
    auto pbft = parse_pbft(**c, "consensus");
    if (!pbft) return Unexpected{pbft.error()};
    return ConsensusParams{std::move(*pbft)};
  }
  return field_fail("consensus.type", "unknown consensus type \"" + name + "\" (expected \"pow\" or \"pbft\")");
}

using Accounts = std::map<Address, Account>;

Result<void> fund(Accounts& accounts, const Address& address, const Account& account, const std::string& path) {
  if (!accounts.emplace(address, account).second) {
    return field_fail(path, "account " + crypto::to_checksum_address(address) + " is funded twice");
  }
  return {};
}

Result<void> parse_alloc(const json& doc, Accounts& accounts) {
  const json* alloc = find(doc, "alloc");
  if (alloc == nullptr) return {};
  if (!alloc->is_object()) return field_fail("alloc", "must be a JSON object of address: {\"balance\": ...}");
  for (const auto& [key, entry] : alloc->items()) {
    const std::string path = "alloc." + key;
    auto address = to_address(json(key), path);
    if (!address) return Unexpected{address.error()};
    if (entry.is_object() && (entry.contains("code") || entry.contains("storage"))) {
      return field_fail(path, "contract code and storage are not supported (Tally moves value only)");
    }
    if (auto ok = check_object(entry, path, {"balance", "nonce"}); !ok) return ok;
    Account account;
    auto balance = required_u256(entry, path, "balance");
    if (!balance) return Unexpected{balance.error()};
    account.balance = *balance;
    auto nonce = optional_u64(entry, path, "nonce", 0);
    if (!nonce) return Unexpected{nonce.error()};
    account.nonce = *nonce;
    if (auto ok = fund(accounts, *address, account, path); !ok) return ok;
  }
  return {};
}

Result<void> parse_dev_accounts(const json& doc, Accounts& accounts) {
  const json* dev = find(doc, "devAccounts");
  if (dev == nullptr) return {};
  const std::string path = "devAccounts";
  if (auto ok = check_object(*dev, path, {"mnemonic", "count", "balance"}); !ok) return ok;
  std::string mnemonic(crypto::kDevMnemonic);
  if (const json* m = find(*dev, "mnemonic"); m != nullptr) {
    if (!m->is_string()) return field_fail(path + ".mnemonic", "must be a string");
    mnemonic = m->get<std::string>();
  }
  if (auto valid = crypto::validate_mnemonic(mnemonic); !valid) {
    return field_fail(path + ".mnemonic", valid.error().message);
  }
  auto count = required_u64(*dev, path, "count");
  if (!count) return Unexpected{count.error()};
  if (*count > GenesisLimits::kMaxDevAccounts) {
    return field_fail(path + ".count", "at most " + std::to_string(GenesisLimits::kMaxDevAccounts));
  }
  auto balance = required_u256(*dev, path, "balance");
  if (!balance) return Unexpected{balance.error()};
  // Words joined by single spaces, as dev_account_key and ethers do; the
  // seed is derived once, then one child key per account.
  std::istringstream words(mnemonic);
  std::string normalized;
  for (std::string word; words >> word;) normalized += (normalized.empty() ? "" : " ") + word;
  const auto seed = crypto::mnemonic_to_seed(normalized);
  auto master = crypto::master_key_from_seed(seed);
  if (!master) return field_fail(path + ".mnemonic", master.error().message);
  auto parent = crypto::derive_path(*master, "m/44'/60'/0'/0");
  if (!parent) return field_fail(path + ".mnemonic", parent.error().message);
  for (std::uint32_t i = 0; i < *count; ++i) {
    auto child = crypto::derive_child(*parent, i);
    if (!child) return field_fail(path + ".mnemonic", child.error().message);
    const Address address = crypto::address_of(crypto::public_key_of(child->key));
    if (auto ok = fund(accounts, address, Account{0, *balance}, path); !ok) return ok;
  }
  return {};
}

}  // namespace

Hash256 config_commitment(const ChainConfig& config) {
  Bytes out;
  rlp::Encoder enc(out);
  const std::size_t list = enc.begin_list();
  enc.uint(config.chain_id);
  enc.uint(config.gas_limit);
  enc.u256(config.initial_base_fee);
  if (const auto* pow = std::get_if<PowParams>(&config.consensus)) {
    enc.string(as_bytes("pow"));
    enc.uint(pow->target_block_time_seconds);
    enc.u256(pow->initial_difficulty);
    enc.u256(pow->minimum_difficulty);
    enc.u256(pow->block_reward);
  } else {
    const auto& pbft = std::get<PbftParams>(config.consensus);
    enc.string(as_bytes("pbft"));
    const std::size_t validators = enc.begin_list();
    for (const auto& v : pbft.validators) enc.string(v);
    enc.end_list(validators);
    enc.uint(pbft.timeout_ms);
    enc.u256(pbft.block_reward);
  }
  enc.end_list(list);
  return crypto::keccak256(out);
}

namespace {

Header genesis_header(const ChainConfig& config, std::uint64_t timestamp, Bytes extra_data, const Hash256& root) {
  Header h;
  h.number = 0;
  h.timestamp = timestamp;
  h.state_root = root;
  h.transactions_root = empty_trie_root();
  h.receipts_root = empty_trie_root();
  h.gas_limit = config.gas_limit;
  h.gas_used = 0;
  h.base_fee = config.initial_base_fee;
  h.extra_data = std::move(extra_data);
  if (const auto* pow = std::get_if<PowParams>(&config.consensus)) {
    h.seal.push_back(rlp::encode_u256(pow->initial_difficulty));
    h.seal.push_back(rlp::encode_string(Bytes(8, 0)));
  }
  // The last seal item commits to the whole chain config, so the genesis
  // hash (the network's identity) differs whenever the chain id, the
  // consensus parameters (PBFT validators included) or the gas rules do.
  h.seal.push_back(rlp::encode_string(config_commitment(config)));
  return h;
}

}  // namespace

Result<Genesis> parse_genesis(std::string_view json_text) {
  if (json_text.size() > GenesisLimits::kMaxFileBytes) {
    return fail("genesis: " + std::to_string(json_text.size()) + " bytes exceed the limit of " +
                std::to_string(GenesisLimits::kMaxFileBytes));
  }
  auto parsed = parse_json(json_text);
  if (!parsed) return Unexpected{parsed.error()};
  const json& doc = *parsed;
  if (auto ok = check_object(
          doc, "",
          {"chainId", "consensus", "gasLimit", "baseFeePerGas", "timestamp", "extraData", "alloc", "devAccounts"});
      !ok) {
    return Unexpected{ok.error()};
  }
  Genesis g;
  auto chain_id = required_u64(doc, "", "chainId");
  if (!chain_id) return Unexpected{chain_id.error()};
  if (*chain_id == 0) return field_fail("chainId", "must be at least 1 (EIP-155)");
  g.config.chain_id = *chain_id;
  auto consensus = parse_consensus(doc);
  if (!consensus) return Unexpected{consensus.error()};
  g.config.consensus = std::move(*consensus);
  auto gas_limit = required_u64(doc, "", "gasLimit");
  if (!gas_limit) return Unexpected{gas_limit.error()};
  if (*gas_limit < kTxGas) return field_fail("gasLimit", "must be at least 21000 (one transfer)");
  g.config.gas_limit = *gas_limit;
  auto base_fee = optional_u256(doc, "", "baseFeePerGas", kDefaultInitialBaseFee);
  if (!base_fee) return Unexpected{base_fee.error()};
  g.config.initial_base_fee = *base_fee;
  auto timestamp = optional_u64(doc, "", "timestamp", 0);
  if (!timestamp) return Unexpected{timestamp.error()};
  Bytes extra;
  if (const json* e = find(doc, "extraData"); e != nullptr) {
    if (!e->is_string()) return field_fail("extraData", "must be a 0x hex string");
    auto bytes = from_hex(e->get<std::string>(), HexPrefix::required);
    if (!bytes) return field_fail("extraData", bytes.error().message);
    if (bytes->size() > kMaxExtraDataBytes) {
      return field_fail("extraData", std::to_string(bytes->size()) + " bytes exceed the limit of " +
                                         std::to_string(kMaxExtraDataBytes));
    }
    extra = std::move(*bytes);
  }

  Accounts accounts;
  if (auto ok = parse_alloc(doc, accounts); !ok) return Unexpected{ok.error()};
  if (auto ok = parse_dev_accounts(doc, accounts); !ok) return Unexpected{ok.error()};
  g.dev = find(doc, "devAccounts") != nullptr;
  U256 supply = 0;
  for (const auto& [address, account] : accounts) {
    auto sum = checked_add(supply, account.balance);
    if (!sum) return field_fail("alloc", "the balances add up to more than 2^256 - 1 wei");
    supply = *sum;
  }

  const MemoryNodeStore empty;
  StateDB state(empty, empty_trie_root());
  for (const auto& [address, account] : accounts) state.set(address, account);
  const Hash256 root = state.commit(g.state);

  g.block.header = genesis_header(g.config, *timestamp, std::move(extra), root);
  g.hash = header_hash(g.block.header);
  return g;
}

Result<Genesis> load_genesis_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail("genesis file " + path.string() + ": " + ec.message());
  if (size > GenesisLimits::kMaxFileBytes) {
    return fail("genesis file " + path.string() + ": " + std::to_string(size) + " bytes exceed the limit of " +
                std::to_string(GenesisLimits::kMaxFileBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("genesis file " + path.string() + ": cannot open");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (static_cast<std::size_t>(in.gcount()) != text.size()) {
    return fail("genesis file " + path.string() + ": read error");
  }
  return parse_genesis(text);
}

std::string dev_genesis_json() {
  nlohmann::ordered_json doc;
  doc["chainId"] = kDevChainId;
  doc["consensus"] = {{"type", "pow"},
                      {"targetBlockTimeSeconds", 2},
                      {"initialDifficulty", "1048576"},
                      {"minimumDifficulty", "1024"},
                      {"blockReward", "2000000000000000000"}};
  doc["gasLimit"] = kDefaultGasLimit;
  doc["baseFeePerGas"] = std::to_string(kDefaultInitialBaseFee);
  doc["timestamp"] = 0;
  doc["extraData"] = "0x";
  doc["alloc"] = nlohmann::ordered_json::object();
  doc["devAccounts"] = {
      {"mnemonic", std::string(crypto::kDevMnemonic)}, {"count", 10}, {"balance", "10000000000000000000000"}};
  return doc.dump(2) + "\n";
}

}  // namespace tally::chain
