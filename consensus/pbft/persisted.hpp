#pragma once
// What a replica must find on disk after a crash so it never signs two
// different things for one (height, view): the view it is in, whether it
// has left that view (view change sent), the highest prepared certificate
// of the height (with its block), and what it proposed, prepared and
// committed in that view. The node writes it, synced, whenever the replica
// emits a Persist action, before it performs the actions that follow.
//
// Encoding: rlp([height, view, in_view_change, prepared, proposed,
// prepare_sent, commit_sent]) where prepared is [] or
// [pre-prepare message, [prepare message...]] (messages.hpp wire form) and
// each hash is empty or 32 bytes.

#include <cstdint>
#include <optional>

#include "consensus/pbft/messages.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace tally::consensus::pbft {

struct PersistedState {
  std::uint64_t height = 0;
  std::uint64_t view = 0;
  bool in_view_change = false;
  std::optional<PreparedCertificate> prepared;  // the pre-prepare keeps its block
  std::optional<Hash256> proposed;              // the pre-prepare this replica signed in `view`
  std::optional<Hash256> prepare_sent;          // the PREPARE it signed in `view`
  std::optional<Hash256> commit_sent;           // the COMMIT it signed in `view`
  bool operator==(const PersistedState&) const = default;
};

Bytes encode_persisted(const PersistedState& state);
// Strict; every nested signature recovered again. Never throws.
Result<PersistedState> decode_persisted(BytesView encoded, const Domain& domain,
                                        const MessageLimits& limits = {}) noexcept;

}  // namespace tally::consensus::pbft
