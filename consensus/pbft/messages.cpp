#include "consensus/pbft/messages.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <string>
#include <utility>

#include "chain/rlp.hpp"
#include "crypto/address.hpp"
#include "crypto/keccak.hpp"

namespace tally::consensus::pbft {
namespace {

constexpr std::string_view kDomainTag = "tally-pbft-v1";
constexpr std::size_t kSignatureBytes = 65;

// ---------------------------------------------------------------- encoding

void put_signature(rlp::Encoder& enc, const crypto::Signature& sig) {
  std::array<std::uint8_t, kSignatureBytes> raw{};
  std::copy(sig.r.begin(), sig.r.end(), raw.begin());
  std::copy(sig.s.begin(), sig.s.end(), raw.begin() + 32);
  raw[64] = sig.recovery_id;
  enc.string(raw);
}

void put_pre_prepare(rlp::Encoder& enc, const PrePrepare& m, bool with_block, bool with_sig) {
  const std::size_t list = enc.begin_list();
  enc.uint(m.view);
  enc.uint(m.height);
  enc.string(m.block_hash);
  enc.string(with_block ? BytesView(m.block) : BytesView());
  if (with_sig) put_signature(enc, m.signer.signature);
  enc.end_list(list);
}

void put_vote(rlp::Encoder& enc, const Vote& m, bool with_sig) {
  const std::size_t list = enc.begin_list();
  enc.uint(m.view);
  enc.uint(m.height);
  enc.string(m.block_hash);
  if (with_sig) put_signature(enc, m.signer.signature);
  enc.end_list(list);
}

void put_prepared(rlp::Encoder& enc, const std::optional<PreparedCertificate>& cert, bool with_block) {
  const std::size_t list = enc.begin_list();
  if (cert) {
    put_pre_prepare(enc, cert->pre_prepare, with_block, true);
    const std::size_t votes = enc.begin_list();
    for (const Vote& v : cert->prepares) put_vote(enc, v, true);
    enc.end_list(votes);
  }
  enc.end_list(list);
}

void put_view_change(rlp::Encoder& enc, const ViewChange& m, bool with_block, bool with_sig) {
  const std::size_t list = enc.begin_list();
  enc.uint(m.new_view);
  enc.uint(m.height);
  put_prepared(enc, m.prepared, with_block);
  if (with_sig) put_signature(enc, m.signer.signature);
  enc.end_list(list);
}

void put_new_view(rlp::Encoder& enc, const NewView& m, bool with_block, bool with_sig) {
  const std::size_t list = enc.begin_list();
  enc.uint(m.view);
  enc.uint(m.height);
  const std::size_t vcs = enc.begin_list();
  for (const ViewChange& vc : m.view_changes) put_view_change(enc, vc, false, true);
  enc.end_list(vcs);
  put_pre_prepare(enc, m.pre_prepare, with_block, true);
  if (with_sig) put_signature(enc, m.signer.signature);
  enc.end_list(list);
}

void put_checkpoint(rlp::Encoder& enc, const Checkpoint& m, bool with_sig) {
  const std::size_t list = enc.begin_list();
  enc.uint(m.height);
  enc.string(m.block_hash);
  if (with_sig) put_signature(enc, m.signer.signature);
  enc.end_list(list);
}

template <class PutBody>
Hash256 digest_with(const Domain& domain, MessageType type, PutBody put_body) {
  Bytes out;
  rlp::Encoder enc(out);
  const std::size_t list = enc.begin_list();
  enc.string(as_bytes(kDomainTag));
  enc.uint(domain.chain_id);
  enc.string(domain.genesis_hash);
  enc.uint(static_cast<std::uint64_t>(type));
  put_body(enc);
  enc.end_list(list);
  return crypto::keccak256(out);
}

// A replica signs every message with one key: remember the address of the
// last few keys instead of deriving the public key (a point multiplication)
// per signature. Pure: the cache changes no result.
Address address_of_key(const crypto::PrivateKey& key) {
  thread_local std::array<std::pair<crypto::PrivateKey, Address>, 8> cache{};
  thread_local std::size_t used = 0;
  thread_local std::size_t next = 0;
  for (std::size_t i = 0; i < used; ++i) {
    if (cache[i].first == key) return cache[i].second;
  }
  const Address address = crypto::address_of(crypto::public_key_of(key));
  cache[next] = {key, address};
  next = (next + 1) % cache.size();
  used = std::min(used + 1, cache.size());
  return address;
}

Signer sign_digest(const Hash256& digest, const crypto::PrivateKey& key) {
  return Signer{address_of_key(key), crypto::sign(digest, key)};
}

// ---------------------------------------------------------------- decoding

struct Context {
  const Domain& domain;
  const MessageLimits& limits;
};

Result<std::vector<rlp::Item>> list_items(const rlp::Item& item, std::size_t expected, std::string_view what) {
  auto reader = rlp::read_list(item);
  if (!reader) return fail(std::string(what) + ": " + reader.error().message);
  std::vector<rlp::Item> items;
  while (!reader->at_end()) {
    if (items.size() == expected) {
      return fail(std::string(what) + ": more than " + std::to_string(expected) + " fields");
    }
    auto next = reader->next();
    if (!next) return fail(std::string(what) + ": " + next.error().message);
    items.push_back(*next);
  }
  if (items.size() != expected) {
    return fail(std::string(what) + ": expected " + std::to_string(expected) + " fields, got " +
                std::to_string(items.size()));
  }
  return items;
}

Result<crypto::Signature> read_signature(const rlp::Item& item) {
  auto raw = rlp::read_fixed<kSignatureBytes>(item);
  if (!raw) return fail("signature: " + raw.error().message);
  crypto::Signature sig;
  std::copy(raw->begin(), raw->begin() + 32, sig.r.begin());
  std::copy(raw->begin() + 32, raw->begin() + 64, sig.s.begin());
  sig.recovery_id = (*raw)[64];
  if (sig.recovery_id > 1) return fail("signature: recovery id " + std::to_string(sig.recovery_id) + " is not 0 or 1");
  return sig;
}

Result<Signer> recover_signer(const Hash256& digest, const crypto::Signature& sig) {
  auto key = crypto::recover(digest, sig);
  if (!key) return fail("bad signature: " + key.error().message);
  return Signer{crypto::address_of(*key), sig};
}

#define TALLY_TRY(var, expr)    \
  auto var = (expr);            \
  if (!var) return Unexpected { \
      var.error()               \
    }

Result<std::uint64_t> read_u64_field(const rlp::Item& item, std::string_view what) {
  auto v = rlp::read_uint64(item);
  if (!v) return fail(std::string(what) + ": " + v.error().message);
  return *v;
}

Result<Hash256> read_hash_field(const rlp::Item& item, std::string_view what) {
  auto v = rlp::read_fixed<32>(item);
  if (!v) return fail(std::string(what) + ": " + v.error().message);
  return *v;
}

Result<PrePrepare> read_pre_prepare(const rlp::Item& item, const Context& ctx) {
  TALLY_TRY(f, list_items(item, 5, "pre-prepare"));
  PrePrepare m;
  TALLY_TRY(view, read_u64_field((*f)[0], "pre-prepare view"));
  TALLY_TRY(height, read_u64_field((*f)[1], "pre-prepare height"));
  TALLY_TRY(hash, read_hash_field((*f)[2], "pre-prepare block hash"));
  TALLY_TRY(block, rlp::read_bytes((*f)[3]));
  if (block->size() > ctx.limits.max_block_bytes) {
    return fail("pre-prepare: block of " + std::to_string(block->size()) + " bytes exceeds the limit of " +
                std::to_string(ctx.limits.max_block_bytes));
  }
  TALLY_TRY(sig, read_signature((*f)[4]));
  m.view = *view;
  m.height = *height;
  m.block_hash = *hash;
  m.block = to_bytes(*block);
  TALLY_TRY(signer, recover_signer(signing_digest(ctx.domain, m), *sig));
  m.signer = *signer;
  return m;
}

Result<Vote> read_vote(const rlp::Item& item, MessageType type, const Context& ctx) {
  const std::string what(to_string(type));
  TALLY_TRY(f, list_items(item, 4, what));
  Vote m;
  m.type = type;
  TALLY_TRY(view, read_u64_field((*f)[0], what + " view"));
  TALLY_TRY(height, read_u64_field((*f)[1], what + " height"));
  TALLY_TRY(hash, read_hash_field((*f)[2], what + " block hash"));
  TALLY_TRY(sig, read_signature((*f)[3]));
  m.view = *view;
  m.height = *height;
  m.block_hash = *hash;
  TALLY_TRY(signer, recover_signer(signing_digest(ctx.domain, m), *sig));
  m.signer = *signer;
  return m;
}

Result<std::optional<PreparedCertificate>> read_prepared(const rlp::Item& item, const Context& ctx,
                                                         bool block_allowed) {
  auto reader = rlp::read_list(item);
  if (!reader) return fail("prepared certificate: " + reader.error().message);
  if (reader->at_end()) return std::optional<PreparedCertificate>{};
  TALLY_TRY(f, list_items(item, 2, "prepared certificate"));
  PreparedCertificate cert;
  TALLY_TRY(pp, read_pre_prepare((*f)[0], ctx));
  if (!block_allowed && !pp->block.empty()) {
    return fail("prepared certificate inside a new-view must not carry the block");
  }
  cert.pre_prepare = std::move(*pp);
  TALLY_TRY(votes, rlp::read_list((*f)[1]));
  while (!votes->at_end()) {
    if (cert.prepares.size() == ctx.limits.max_votes) {
      return fail("prepared certificate: more than " + std::to_string(ctx.limits.max_votes) + " prepares");
    }
    TALLY_TRY(next, votes->next());
    TALLY_TRY(vote, read_vote(*next, MessageType::prepare, ctx));
    cert.prepares.push_back(std::move(*vote));
  }
  return std::optional<PreparedCertificate>{std::move(cert)};
}

Result<ViewChange> read_view_change(const rlp::Item& item, const Context& ctx, bool block_allowed) {
  TALLY_TRY(f, list_items(item, 4, "view-change"));
  ViewChange m;
  TALLY_TRY(view, read_u64_field((*f)[0], "view-change new view"));
  TALLY_TRY(height, read_u64_field((*f)[1], "view-change height"));
  TALLY_TRY(prepared, read_prepared((*f)[2], ctx, block_allowed));
  TALLY_TRY(sig, read_signature((*f)[3]));
  m.new_view = *view;
  m.height = *height;
  m.prepared = std::move(*prepared);
  TALLY_TRY(signer, recover_signer(signing_digest(ctx.domain, m), *sig));
  m.signer = *signer;
  return m;
}

Result<NewView> read_new_view(const rlp::Item& item, const Context& ctx) {
  TALLY_TRY(f, list_items(item, 5, "new-view"));
  NewView m;
  TALLY_TRY(view, read_u64_field((*f)[0], "new-view view"));
  TALLY_TRY(height, read_u64_field((*f)[1], "new-view height"));
  TALLY_TRY(vcs, rlp::read_list((*f)[2]));
  while (!vcs->at_end()) {
    if (m.view_changes.size() == ctx.limits.max_view_changes) {
      return fail("new-view: more than " + std::to_string(ctx.limits.max_view_changes) + " view changes");
    }
    TALLY_TRY(next, vcs->next());
    TALLY_TRY(vc, read_view_change(*next, ctx, false));
    m.view_changes.push_back(std::move(*vc));
  }
  TALLY_TRY(pp, read_pre_prepare((*f)[3], ctx));
  TALLY_TRY(sig, read_signature((*f)[4]));
  m.view = *view;
  m.height = *height;
  m.pre_prepare = std::move(*pp);
  TALLY_TRY(signer, recover_signer(signing_digest(ctx.domain, m), *sig));
  m.signer = *signer;
  return m;
}

Result<Checkpoint> read_checkpoint(const rlp::Item& item, const Context& ctx) {
  TALLY_TRY(f, list_items(item, 3, "checkpoint"));
  Checkpoint m;
  TALLY_TRY(height, read_u64_field((*f)[0], "checkpoint height"));
  TALLY_TRY(hash, read_hash_field((*f)[1], "checkpoint block hash"));
  TALLY_TRY(sig, read_signature((*f)[2]));
  m.height = *height;
  m.block_hash = *hash;
  TALLY_TRY(signer, recover_signer(signing_digest(ctx.domain, m), *sig));
  m.signer = *signer;
  return m;
}

template <class T>
Result<Message> as_message(Result<T> r) {
  if (!r) return Unexpected{r.error()};
  return Message{std::move(*r)};
}

Result<Message> decode_checked(BytesView encoded, const Context& ctx) {
  if (encoded.size() > ctx.limits.max_message_bytes) {
    return fail("pbft: message of " + std::to_string(encoded.size()) + " bytes exceeds the limit of " +
                std::to_string(ctx.limits.max_message_bytes));
  }
  // Depth: envelope, new-view, view changes, one view change, certificate,
  // prepares, one prepare.
  auto top = rlp::decode(encoded, 8);
  if (!top) return fail("pbft: " + top.error().message);
  auto f = list_items(*top, 2, "pbft message");
  if (!f) return fail("pbft: " + f.error().message);
  auto type = rlp::read_uint64((*f)[0]);
  if (!type) return fail("pbft: message type: " + type.error().message);
  const rlp::Item& payload = (*f)[1];
  Result<Message> out = fail("pbft: unknown message type " + std::to_string(*type));
  switch (*type) {
    case 1:
      out = as_message(read_pre_prepare(payload, ctx));
      break;
    case 2:
      out = as_message(read_vote(payload, MessageType::prepare, ctx));
      break;
    case 3:
      out = as_message(read_vote(payload, MessageType::commit, ctx));
      break;
    case 4:
      out = as_message(read_view_change(payload, ctx, true));
      break;
    case 5:
      out = as_message(read_new_view(payload, ctx));
      break;
    case 6:
      out = as_message(read_checkpoint(payload, ctx));
      break;
    default:
      break;
  }
  if (!out && out.error().message.rfind("pbft: ", 0) != 0) return fail("pbft: " + out.error().message);
  return out;
}

#undef TALLY_TRY

}  // namespace

std::string_view to_string(MessageType type) noexcept {
  switch (type) {
    case MessageType::pre_prepare:
      return "pre-prepare";
    case MessageType::prepare:
      return "prepare";
    case MessageType::commit:
      return "commit";
    case MessageType::view_change:
      return "view-change";
    case MessageType::new_view:
      return "new-view";
    case MessageType::checkpoint:
      return "checkpoint";
  }
  return "unknown";
}

MessageType type_of(const Message& message) noexcept {
  struct Visitor {
    MessageType operator()(const PrePrepare&) const { return MessageType::pre_prepare; }
    MessageType operator()(const Vote& v) const { return v.type; }
    MessageType operator()(const ViewChange&) const { return MessageType::view_change; }
    MessageType operator()(const NewView&) const { return MessageType::new_view; }
    MessageType operator()(const Checkpoint&) const { return MessageType::checkpoint; }
  };
  return std::visit(Visitor{}, message);
}

std::uint64_t height_of(const Message& message) noexcept {
  return std::visit([](const auto& m) { return m.height; }, message);
}

const Signer& signer_of(const Message& message) noexcept {
  return std::visit([](const auto& m) -> const Signer& { return m.signer; }, message);
}

Hash256 signing_digest(const Domain& domain, const PrePrepare& m) {
  return digest_with(domain, MessageType::pre_prepare,
                     [&](rlp::Encoder& enc) { put_pre_prepare(enc, m, false, false); });
}
Hash256 signing_digest(const Domain& domain, const Vote& m) {
  return digest_with(domain, m.type, [&](rlp::Encoder& enc) { put_vote(enc, m, false); });
}
Hash256 signing_digest(const Domain& domain, const ViewChange& m) {
  return digest_with(domain, MessageType::view_change,
                     [&](rlp::Encoder& enc) { put_view_change(enc, m, false, false); });
}
Hash256 signing_digest(const Domain& domain, const NewView& m) {
  return digest_with(domain, MessageType::new_view, [&](rlp::Encoder& enc) { put_new_view(enc, m, false, false); });
}
Hash256 signing_digest(const Domain& domain, const Checkpoint& m) {
  return digest_with(domain, MessageType::checkpoint, [&](rlp::Encoder& enc) { put_checkpoint(enc, m, false); });
}

void sign(PrePrepare& m, const Domain& domain, const crypto::PrivateKey& key) {
  m.signer = sign_digest(signing_digest(domain, m), key);
}
void sign(Vote& m, const Domain& domain, const crypto::PrivateKey& key) {
  m.signer = sign_digest(signing_digest(domain, m), key);
}
void sign(ViewChange& m, const Domain& domain, const crypto::PrivateKey& key) {
  m.signer = sign_digest(signing_digest(domain, m), key);
}
void sign(NewView& m, const Domain& domain, const crypto::PrivateKey& key) {
  m.signer = sign_digest(signing_digest(domain, m), key);
}
void sign(Checkpoint& m, const Domain& domain, const crypto::PrivateKey& key) {
  m.signer = sign_digest(signing_digest(domain, m), key);
}

ViewChange strip_block(ViewChange m) {
  if (m.prepared) m.prepared->pre_prepare.block.clear();
  return m;
}

Bytes encode_message(const Message& message) {
  Bytes out;
  rlp::Encoder enc(out);
  const std::size_t list = enc.begin_list();
  enc.uint(static_cast<std::uint64_t>(type_of(message)));
  struct Visitor {
    rlp::Encoder& enc;
    void operator()(const PrePrepare& m) const { put_pre_prepare(enc, m, true, true); }
    void operator()(const Vote& m) const { put_vote(enc, m, true); }
    void operator()(const ViewChange& m) const { put_view_change(enc, m, true, true); }
    void operator()(const NewView& m) const { put_new_view(enc, m, true, true); }
    void operator()(const Checkpoint& m) const { put_checkpoint(enc, m, true); }
  };
  std::visit(Visitor{enc}, message);
  enc.end_list(list);
  return out;
}

Result<Message> decode_message(BytesView encoded, const Domain& domain, const MessageLimits& limits) noexcept {
  try {
    return decode_checked(encoded, Context{domain, limits});
  } catch (const std::exception& e) {
    return fail(std::string("pbft: message could not be decoded: ") + e.what());
  }
}

Hash256 message_id(BytesView encoded) {
  return crypto::keccak256(encoded);
}

}  // namespace tally::consensus::pbft
