#include "chain/state.hpp"

#include <string>

#include "chain/rlp.hpp"
#include "chain/trie.hpp"
#include "chain/warm_tries.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::chain {

namespace {

// keccak256(""): the code hash of an account without code.
const Hash256& empty_code_hash() {
  static const Hash256 hash = crypto::keccak256(BytesView{});
  return hash;
}

Bytes encode_account(const Account& account) {
  const Hash256& storage_root = empty_trie_root();
  const Hash256& code_hash = empty_code_hash();
  const std::size_t payload = rlp::length_of_uint(account.nonce) + rlp::length_of_u256(account.balance) +
                              rlp::length_of_string(storage_root) + rlp::length_of_string(code_hash);
  Bytes out;
  out.reserve(rlp::length_of_header(payload) + payload);
  rlp::Encoder enc(out);
  enc.list_header(payload);
  enc.uint(account.nonce);
  enc.u256(account.balance);
  enc.string(storage_root);
  enc.string(code_hash);
  return out;
}

[[noreturn]] void corrupt(const Address& address, const std::string& why) {
  throw StateCorruption("state: the stored account 0x" + to_hex(address) + " is malformed: " + why);
}

Account decode_account(const Address& address, BytesView encoded) {
  auto item = rlp::decode(encoded);
  if (!item) corrupt(address, item.error().message);
  auto list = rlp::read_list(*item);
  if (!list) corrupt(address, list.error().message);
  auto count = list->count();
  if (!count) corrupt(address, count.error().message);
  if (*count != 4) corrupt(address, "a list of " + std::to_string(*count) + " items (expected 4)");

  const auto next = [&]() {
    auto field = list->next();
    if (!field) corrupt(address, field.error().message);
    return *field;
  };
  Account account;
  auto nonce = rlp::read_uint64(next());
  if (!nonce) corrupt(address, "nonce: " + nonce.error().message);
  account.nonce = *nonce;
  auto balance = rlp::read_u256(next());
  if (!balance) corrupt(address, "balance: " + balance.error().message);
  account.balance = *balance;
  auto storage_root = rlp::read_fixed<32>(next());
  if (!storage_root) corrupt(address, "storage root: " + storage_root.error().message);
  auto code_hash = rlp::read_fixed<32>(next());
  if (!code_hash) corrupt(address, "code hash: " + code_hash.error().message);
  // Tally accounts hold no contract storage or code.
  if (*storage_root != empty_trie_root()) corrupt(address, "it has contract storage, which Tally does not support");
  if (*code_hash != empty_code_hash()) corrupt(address, "it has contract code, which Tally does not support");
  return account;
}

}  // namespace

StateDB::StateDB(const NodeStore& store, const Hash256& root, StateUse use)
    : warm_tries_(use == StateUse::block ? store.warm_tries() : nullptr), snapshots_(store.account_snapshots()) {
  if (warm_tries_ != nullptr) trie_ = warm_tries_->take(root);
  if (!trie_) trie_ = std::make_unique<SecureTrie>(store, root);
  if (snapshots_ != nullptr) known_ = snapshots_->at(root);
}

StateDB::~StateDB() {
  if (warm_tries_ == nullptr || !trie_ || changed_since_commit_) return;
  try {
    warm_tries_->keep(std::move(trie_));
  } catch (...) {  // NOLINT(bugprone-empty-catch): a trie not kept costs only the next block's reads
  }
}
StateDB::StateDB(StateDB&&) noexcept = default;
StateDB& StateDB::operator=(StateDB&&) noexcept = default;

Account StateDB::get(const Address& address) const {
  if (auto it = accounts_.find(address); it != accounts_.end()) return it->second.account;
  bound();  // before the lookup: starting over forgets known_
  Account account;
  if (const Account* known = known_account(address)) {
    account = *known;
  } else if (const std::optional<Bytes> stored = trie_->get(address)) {
    account = decode_account(address, *stored);
  }
  accounts_.emplace(address, CachedAccount{account, false});
  return account;
}

const Account* StateDB::known_account(const Address& address) const {
  if (!known_) return nullptr;
  const auto it = known_->find(address);
  return it == known_->end() ? nullptr : &it->second;
}

void StateDB::set(const Address& address, const Account& account) {
  bound();
  changed_since_commit_ = true;
  CachedAccount& cached = accounts_[address];
  if (!cached.dirty) ++dirty_count_;
  cached = CachedAccount{account, true};
}

void StateDB::bound() const {
  if (accounts_.size() < kMaxCachedAccounts) return;
  flush();
  accounts_.clear();
  known_.reset();
}

void StateDB::flush() const {
  if (dirty_count_ == 0) return;
  for (auto& [address, cached] : accounts_) {
    if (!cached.dirty) continue;
    if (cached.account.empty()) {
      trie_->erase(address);
    } else {
      trie_->put(address, encode_account(cached.account));
    }
    cached.dirty = false;
    --dirty_count_;
  }
}

Hash256 StateDB::root() {
  flush();
  return trie_->root_hash();
}

Hash256 StateDB::commit(NodeBatch& out) {
  flush();
  const Hash256 root = trie_->commit(out);
  changed_since_commit_ = false;
  if (snapshots_ != nullptr) {
    auto accounts = std::make_shared<AccountSnapshot>();
    accounts->reserve(accounts_.size());
    for (const auto& [address, cached] : accounts_) accounts->emplace(address, cached.account);
    snapshots_->keep(root, std::move(accounts));
  }
  return root;
}

std::vector<Bytes> StateDB::prove(const Address& address) const {
  flush();
  return trie_->prove(address);
}

}  // namespace tally::chain
