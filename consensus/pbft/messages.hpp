#pragma once
// PBFT consensus messages: their content, signatures and wire encoding.
//
// Wire form: rlp([type, payload]) with type 1..6 as MessageType and
//   PRE-PREPARE  [view, height, block_hash, block, sig]
//   PREPARE      [view, height, block_hash, sig]
//   COMMIT       [view, height, block_hash, sig]
//   VIEW-CHANGE  [new_view, height, prepared, sig]
//                prepared = [] or [pre_prepare payload, [prepare payload...]]
//   NEW-VIEW     [view, height, [view-change payload...], pre_prepare payload, sig]
//   CHECKPOINT   [height, block_hash, sig]
// sig is 65 bytes r || s || v (v = 0 or 1, s low). The block travels beside
// the signed fields: no signature covers it, its hash does (the receiver
// checks the bytes hash to block_hash). Inside a NEW-VIEW the view changes'
// prepared pre-prepares carry no block (the NEW-VIEW's own pre-prepare does),
// which keeps a NEW-VIEW to one copy of the block.
//
// Every signature is recoverable ECDSA over
//   keccak256(rlp(["tally-pbft-v1", chain_id, genesis_hash, type, body]))
// where body is the payload without sig and with every block emptied. The
// sender is the recovered address; it must be a validator (the replica and
// certificate checks refuse others). Decoding recovers every signer, also of
// nested messages, and refuses anything non-canonical, so
// encode(decode(b)) == b and message_id(b) identifies a message for
// duplicate suppression.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "consensus/pbft/validators.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/secp256k1.hpp"

namespace tally::consensus::pbft {

enum class MessageType : std::uint8_t {
  pre_prepare = 1,
  prepare = 2,
  commit = 3,
  view_change = 4,
  new_view = 5,
  checkpoint = 6,
};

std::string_view to_string(MessageType type) noexcept;

// Bounds checked before a message is parsed further.
struct MessageLimits {
  std::size_t max_message_bytes = 24U << 20U;  // whole encoded message
  std::size_t max_block_bytes = 8U << 20U;     // as chain::BlockLimits::max_block_bytes
  std::size_t max_votes = 1'024;               // prepares in a certificate (GenesisLimits::kMaxValidators)
  std::size_t max_view_changes = 1'024;        // view changes in a NEW-VIEW
};

// Who signed: `sender` is set by sign() and by decoding (recovered).
struct Signer {
  Address sender{};
  crypto::Signature signature{};
  bool operator==(const Signer&) const = default;
};

struct PrePrepare {
  std::uint64_t view = 0;
  std::uint64_t height = 0;
  Hash256 block_hash{};
  Bytes block;  // encoded block; empty inside a NEW-VIEW's view changes
  Signer signer;
  bool operator==(const PrePrepare&) const = default;
};

// PREPARE or COMMIT.
struct Vote {
  MessageType type = MessageType::prepare;
  std::uint64_t view = 0;
  std::uint64_t height = 0;
  Hash256 block_hash{};
  Signer signer;
  bool operator==(const Vote&) const = default;
};

// A pre-prepare and the matching prepares: proof that a quorum agreed on the
// block in that view (checked by check_prepared, certificate.hpp).
struct PreparedCertificate {
  PrePrepare pre_prepare;
  std::vector<Vote> prepares;
  bool operator==(const PreparedCertificate&) const = default;
};

struct ViewChange {
  std::uint64_t new_view = 0;
  std::uint64_t height = 0;
  std::optional<PreparedCertificate> prepared;  // the sender's highest, at this height
  Signer signer;
  bool operator==(const ViewChange&) const = default;
};

struct NewView {
  std::uint64_t view = 0;
  std::uint64_t height = 0;
  std::vector<ViewChange> view_changes;  // a quorum, for `view`, blocks stripped
  PrePrepare pre_prepare;                // for (view, height), with the block
  Signer signer;
  bool operator==(const NewView&) const = default;
};

struct Checkpoint {
  std::uint64_t height = 0;
  Hash256 block_hash{};  // the final block at `height` (it commits to the state root)
  Signer signer;
  bool operator==(const Checkpoint&) const = default;
};

using Message = std::variant<PrePrepare, Vote, ViewChange, NewView, Checkpoint>;

MessageType type_of(const Message& message) noexcept;
std::uint64_t height_of(const Message& message) noexcept;
const Signer& signer_of(const Message& message) noexcept;

// The digest each signature covers (see the top of this file).
Hash256 signing_digest(const Domain& domain, const PrePrepare& m);
Hash256 signing_digest(const Domain& domain, const Vote& m);
Hash256 signing_digest(const Domain& domain, const ViewChange& m);
Hash256 signing_digest(const Domain& domain, const NewView& m);
Hash256 signing_digest(const Domain& domain, const Checkpoint& m);

// Sign with `key`, setting signer.sender and signer.signature. Nested
// messages must already be signed.
void sign(PrePrepare& m, const Domain& domain, const crypto::PrivateKey& key);
void sign(Vote& m, const Domain& domain, const crypto::PrivateKey& key);
void sign(ViewChange& m, const Domain& domain, const crypto::PrivateKey& key);
void sign(NewView& m, const Domain& domain, const crypto::PrivateKey& key);
void sign(Checkpoint& m, const Domain& domain, const crypto::PrivateKey& key);

// The same view change with its prepared pre-prepare's block removed (the
// signature stays valid: it never covers blocks).
ViewChange strip_block(ViewChange m);

Bytes encode_message(const Message& message);
// Strict decoding with every signer recovered. Never throws; the Error says
// what was wrong.
Result<Message> decode_message(BytesView encoded, const Domain& domain, const MessageLimits& limits = {}) noexcept;
// keccak256 of the encoding: the id p2p uses to drop duplicates.
Hash256 message_id(BytesView encoded);

}  // namespace tally::consensus::pbft
