#pragma once
// Helpers for the PBFT tests: four validators with fixed keys, a signing
// domain, fake blocks ("BLK" || height || tag; hash = keccak256 of the bytes)
// and message builders.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "consensus/pbft/certificate.hpp"
#include "consensus/pbft/messages.hpp"
#include "consensus/pbft/replica.hpp"
#include "crypto/address.hpp"
#include "crypto/keccak.hpp"

namespace tally::consensus::pbft::test {

inline crypto::PrivateKey key_of(std::size_t i) {
  Bytes seed = to_bytes(as_bytes("pbft test key "));
  seed.push_back(static_cast<std::uint8_t>(i));
  return *crypto::private_key_from_bytes(crypto::keccak256(seed));
}

inline Address address_of(std::size_t i) {
  return crypto::address_of(crypto::public_key_of(key_of(i)));
}

inline std::vector<Address> addresses(std::size_t n) {
  std::vector<Address> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(address_of(i));
  return out;
}

inline Domain test_domain() {
  return Domain{1337, crypto::keccak256(as_bytes("test genesis"))};
}

inline Bytes fake_block(std::uint64_t height, std::uint64_t tag = 0) {
  Bytes b = to_bytes(as_bytes("BLK"));
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(height >> (8U * static_cast<unsigned>(i))));
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(tag >> (8U * static_cast<unsigned>(i))));
  return b;
}

inline std::optional<Hash256> fake_hash(BytesView b) {
  if (b.size() < 3 || b[0] != 'B' || b[1] != 'L' || b[2] != 'K') return std::nullopt;
  return crypto::keccak256(b);
}

inline Hash256 hash_of(const Bytes& block) {
  return *fake_hash(block);
}

inline PrePrepare pre_prepare(std::size_t signer, std::uint64_t view, std::uint64_t height, const Bytes& block) {
  PrePrepare pp{view, height, hash_of(block), block, {}};
  sign(pp, test_domain(), key_of(signer));
  return pp;
}

inline Vote vote(MessageType type, std::size_t signer, std::uint64_t view, std::uint64_t height, const Hash256& hash) {
  Vote v{type, view, height, hash, {}};
  sign(v, test_domain(), key_of(signer));
  return v;
}

// A prepared certificate at (view, height) for `block` from the primary of
// that view and `preparers`.
inline PreparedCertificate prepared_cert(std::size_t primary, std::uint64_t view, std::uint64_t height,
                                         const Bytes& block, const std::vector<std::size_t>& preparers) {
  PreparedCertificate cert{pre_prepare(primary, view, height, block), {}};
  for (std::size_t p : preparers) cert.prepares.push_back(vote(MessageType::prepare, p, view, height, hash_of(block)));
  return cert;
}

inline ViewChange view_change(std::size_t signer, std::uint64_t new_view, std::uint64_t height,
                              std::optional<PreparedCertificate> cert = std::nullopt) {
  ViewChange vc{new_view, height, std::move(cert), {}};
  sign(vc, test_domain(), key_of(signer));
  return vc;
}

template <class T>
std::vector<T> actions_of(const Actions& actions) {
  std::vector<T> out;
  for (const Action& a : actions) {
    if (const T* t = std::get_if<T>(&a)) out.push_back(*t);
  }
  return out;
}

template <class M>
std::vector<M> broadcasts_of(const Actions& actions) {
  std::vector<M> out;
  for (const Broadcast& b : actions_of<Broadcast>(actions)) {
    if (const M* m = std::get_if<M>(&b.message)) out.push_back(*m);
  }
  return out;
}

// Every signed promise (pre-prepare, prepare, commit, view-change, new-view)
// follows a Persist in the same list that already records it.
inline void expect_persisted_before_sent(const Actions& actions) {
  std::optional<PersistedState> persisted;
  for (const Action& a : actions) {
    if (const auto* p = std::get_if<Persist>(&a)) persisted = p->state;
    const auto* b = std::get_if<Broadcast>(&a);
    if (b == nullptr) continue;
    if (std::holds_alternative<Checkpoint>(b->message)) continue;
    ASSERT_TRUE(persisted.has_value()) << "a " << to_string(type_of(b->message)) << " was sent before any persist";
    if (const auto* v = std::get_if<Vote>(&b->message)) {
      const auto& promised = v->type == MessageType::prepare ? persisted->prepare_sent : persisted->commit_sent;
      EXPECT_EQ(promised, v->block_hash);
      EXPECT_EQ(persisted->view, v->view);
    }
    if (const auto* pp = std::get_if<PrePrepare>(&b->message)) {
      EXPECT_EQ(persisted->proposed, pp->block_hash);
    }
    if (const auto* nv = std::get_if<NewView>(&b->message)) {
      EXPECT_EQ(persisted->proposed, nv->pre_prepare.block_hash);
    }
    if (const auto* vc = std::get_if<ViewChange>(&b->message)) {
      EXPECT_EQ(persisted->view, vc->new_view);
      EXPECT_TRUE(persisted->in_view_change);
    }
  }
}

}  // namespace tally::consensus::pbft::test
