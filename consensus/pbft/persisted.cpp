#include "consensus/pbft/persisted.hpp"

#include <exception>
#include <string>

#include "chain/rlp.hpp"

namespace tally::consensus::pbft {
namespace {

constexpr std::size_t kFields = 7;

void put_optional_hash(rlp::Encoder& enc, const std::optional<Hash256>& h) {
  enc.string(h ? BytesView(*h) : BytesView());
}

Result<std::optional<Hash256>> read_optional_hash(const rlp::Item& item) {
  auto bytes = rlp::read_bytes(item);
  if (!bytes) return Unexpected{bytes.error()};
  if (bytes->empty()) return std::optional<Hash256>{};
  if (bytes->size() != 32) return fail("a hash must be empty or 32 bytes");
  Hash256 h{};
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return std::optional<Hash256>{h};
}

Result<PersistedState> decode_unchecked(BytesView encoded, const Domain& domain, const MessageLimits& limits) {
  if (encoded.size() > limits.max_message_bytes) return fail("persisted pbft state is too large");
  auto top = rlp::decode(encoded, 10);
  if (!top) return fail("persisted pbft state: " + top.error().message);
  auto reader = rlp::read_list(*top);
  if (!reader) return fail("persisted pbft state: " + reader.error().message);
  std::array<rlp::Item, kFields> f{};
  for (std::size_t i = 0; i < kFields; ++i) {
    auto next = reader->next();
    if (!next) return fail("persisted pbft state: expected 7 fields: " + next.error().message);
    f[i] = *next;
  }
  if (!reader->at_end()) return fail("persisted pbft state: more than 7 fields");
  PersistedState s;
  auto height = rlp::read_uint64(f[0]);
  auto view = rlp::read_uint64(f[1]);
  auto in_vc = rlp::read_uint64(f[2]);
  if (!height || !view || !in_vc || *in_vc > 1) return fail("persisted pbft state: bad height, view or flag");
  s.height = *height;
  s.view = *view;
  s.in_view_change = *in_vc == 1;

  auto prepared = rlp::read_list(f[3]);
  if (!prepared) return fail("persisted pbft state: " + prepared.error().message);
  if (!prepared->at_end()) {
    auto pp_item = prepared->next();
    auto votes_item = prepared->next();
    if (!pp_item || !votes_item || !prepared->at_end()) return fail("persisted pbft state: bad prepared certificate");
    auto pp = decode_message(pp_item->encoded, domain, limits);
    if (!pp || !std::holds_alternative<PrePrepare>(*pp)) return fail("persisted pbft state: bad pre-prepare");
    PreparedCertificate cert;
    cert.pre_prepare = std::get<PrePrepare>(std::move(*pp));
    auto votes = rlp::read_list(*votes_item);
    if (!votes) return fail("persisted pbft state: " + votes.error().message);
    while (!votes->at_end()) {
      if (cert.prepares.size() == limits.max_votes) return fail("persisted pbft state: too many prepares");
      auto item = votes->next();
      if (!item) return fail("persisted pbft state: " + item.error().message);
      auto vote = decode_message(item->encoded, domain, limits);
      if (!vote || !std::holds_alternative<Vote>(*vote) || std::get<Vote>(*vote).type != MessageType::prepare) {
        return fail("persisted pbft state: bad prepare");
      }
      cert.prepares.push_back(std::get<Vote>(std::move(*vote)));
    }
    s.prepared = std::move(cert);
  }
  auto proposed = read_optional_hash(f[4]);
  auto prepare_sent = read_optional_hash(f[5]);
  auto commit_sent = read_optional_hash(f[6]);
  if (!proposed || !prepare_sent || !commit_sent) return fail("persisted pbft state: bad vote hash");
  s.proposed = *proposed;
  s.prepare_sent = *prepare_sent;
  s.commit_sent = *commit_sent;
  return s;
}

}  // namespace

Bytes encode_persisted(const PersistedState& state) {
  Bytes out;
  rlp::Encoder enc(out);
  const std::size_t list = enc.begin_list();
  enc.uint(state.height);
  enc.uint(state.view);
  enc.uint(state.in_view_change ? 1 : 0);
  const std::size_t prepared = enc.begin_list();
  if (state.prepared) {
    enc.raw(encode_message(state.prepared->pre_prepare));
    const std::size_t votes = enc.begin_list();
    for (const Vote& v : state.prepared->prepares) enc.raw(encode_message(v));
    enc.end_list(votes);
  }
  enc.end_list(prepared);
  put_optional_hash(enc, state.proposed);
  put_optional_hash(enc, state.prepare_sent);
  put_optional_hash(enc, state.commit_sent);
  enc.end_list(list);
  return out;
}

Result<PersistedState> decode_persisted(BytesView encoded, const Domain& domain, const MessageLimits& limits) noexcept {
  try {
    return decode_unchecked(encoded, domain, limits);
  } catch (const std::exception& e) {
    return fail(std::string("persisted pbft state could not be decoded: ") + e.what());
  }
}

}  // namespace tally::consensus::pbft
