#pragma once
// Certificates: sets of signed messages that prove what a quorum agreed on.
//
// Commit certificate (what ChainManager::finalize stores beside a block and
// what every node checks before it trusts a block as final):
//   rlp([height, view, block_hash, [sig...]])
// every sig a 65-byte COMMIT signature over (view, height, block_hash) in the
// chain's domain (messages.hpp). All commits come from one view: PBFT's
// safety argument (a block committed in view v is the only one any later
// view can prepare) is made for a quorum of commits of one view, so a
// certificate mixing views is refused. Valid when the signers are distinct
// validators and at least a quorum.
//
// The semantic checks of messages that carry other messages (prepared
// certificates, VIEW-CHANGE, NEW-VIEW) live here too; decoding has already
// recovered every signer.

#include <cstdint>
#include <vector>

#include "consensus/pbft/messages.hpp"
#include "consensus/pbft/validators.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace tally::consensus::pbft {

struct CommitCertificate {
  std::uint64_t height = 0;
  std::uint64_t view = 0;
  Hash256 block_hash{};
  std::vector<Vote> commits;  // COMMITs for (view, height, block_hash), signers set
  bool operator==(const CommitCertificate&) const = default;
};

// The certificate of `commits` (all for one (view, height, hash); the caller
// picks a quorum of distinct validators).
CommitCertificate make_commit_certificate(std::vector<Vote> commits);
Bytes encode_certificate(const CommitCertificate& cert);
// Strict decoding, every signer recovered; at most `max_commits` signatures.
// Never throws.
Result<CommitCertificate> decode_certificate(BytesView encoded, const Domain& domain,
                                             std::size_t max_commits = 1'024) noexcept;
// Distinct validators, at least a quorum, all commits for the certificate's
// (view, height, hash); and the certificate is for (height, block_hash).
Result<void> check_certificate(const CommitCertificate& cert, const ValidatorSet& validators, std::uint64_t height,
                               const Hash256& block_hash);
// decode_certificate then check_certificate.
Result<void> verify_certificate(BytesView encoded, const Domain& domain, const ValidatorSet& validators,
                                std::uint64_t height, const Hash256& block_hash);

// A prepared certificate for `height`: the pre-prepare from the primary of
// its view, prepares for the same (view, height, hash) from validators, and
// a quorum of distinct signers counting the primary.
Result<void> check_prepared(const PreparedCertificate& cert, const ValidatorSet& validators, std::uint64_t height);
// A view change from a validator, with a valid prepared certificate (if any)
// from a view below the new one.
Result<void> check_view_change(const ViewChange& vc, const ValidatorSet& validators);
// The prepared certificate of highest view among `view_changes` (nullptr if
// none carries one).
const PreparedCertificate* highest_prepared(const std::vector<ViewChange>& view_changes);
// A NEW-VIEW from the primary of its view, with a quorum of valid view
// changes from distinct validators for (view, height), and a pre-prepare
// signed by the same primary for (view, height) that re-proposes the
// highest prepared block among them if there is one.
Result<void> check_new_view(const NewView& nv, const ValidatorSet& validators);

}  // namespace tally::consensus::pbft
