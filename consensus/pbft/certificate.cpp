#include "consensus/pbft/certificate.hpp"

#include <algorithm>
#include <exception>
#include <set>
#include <string>

#include "chain/rlp.hpp"
#include "crypto/address.hpp"
#include "crypto/hex.hpp"

namespace tally::consensus::pbft {
namespace {

constexpr std::size_t kSignatureBytes = 65;

std::string short_hex(const Hash256& h) {
  return to_hex_prefixed(BytesView(h.data(), 6)) + "..";
}

std::string who(const Address& a) {
  return crypto::to_checksum_address(a);
}

Result<CommitCertificate> decode_unchecked(BytesView encoded, const Domain& domain, std::size_t max_commits) {
  auto top = rlp::decode(encoded, 2);
  if (!top) return fail("commit certificate: " + top.error().message);
  auto reader = rlp::read_list(*top);
  if (!reader) return fail("commit certificate: " + reader.error().message);
  std::array<rlp::Item, 4> f{};
  for (std::size_t i = 0; i < f.size(); ++i) {
    auto next = reader->next();
    if (!next) return fail("commit certificate: expected 4 fields: " + next.error().message);
    f[i] = *next;
  }
  if (!reader->at_end()) return fail("commit certificate: more than 4 fields");
  auto height = rlp::read_uint64(f[0]);
  if (!height) return fail("commit certificate height: " + height.error().message);
  auto view = rlp::read_uint64(f[1]);
  if (!view) return fail("commit certificate view: " + view.error().message);
  auto hash = rlp::read_fixed<32>(f[2]);
  if (!hash) return fail("commit certificate block hash: " + hash.error().message);
  auto sigs = rlp::read_list(f[3]);
  if (!sigs) return fail("commit certificate signatures: " + sigs.error().message);

  CommitCertificate cert;
  cert.height = *height;
  cert.view = *view;
  cert.block_hash = *hash;
  Vote commit;
  commit.type = MessageType::commit;
  commit.view = cert.view;
  commit.height = cert.height;
  commit.block_hash = cert.block_hash;
  const Hash256 digest = signing_digest(domain, commit);
  while (!sigs->at_end()) {
    if (cert.commits.size() == max_commits) {
      return fail("commit certificate: more than " + std::to_string(max_commits) + " signatures");
    }
    auto item = sigs->next();
    if (!item) return fail("commit certificate signatures: " + item.error().message);
    auto raw = rlp::read_fixed<kSignatureBytes>(*item);
    if (!raw) return fail("commit certificate signature: " + raw.error().message);
    crypto::Signature sig;
    std::copy(raw->begin(), raw->begin() + 32, sig.r.begin());
    std::copy(raw->begin() + 32, raw->begin() + 64, sig.s.begin());
    sig.recovery_id = (*raw)[64];
    if (sig.recovery_id > 1) return fail("commit certificate signature: recovery id is not 0 or 1");
    auto key = crypto::recover(digest, sig);
    if (!key) return fail("commit certificate: bad signature: " + key.error().message);
    commit.signer = Signer{crypto::address_of(*key), sig};
    cert.commits.push_back(commit);
  }
  return cert;
}

// Distinct validators among `signers`; an Error names an outsider or a duplicate.
Result<std::size_t> count_distinct_validators(const std::vector<Address>& signers, const ValidatorSet& validators,
                                              std::string_view what) {
  std::set<Address> seen;
  for (const Address& a : signers) {
    if (!validators.contains(a)) return fail(std::string(what) + ": signer " + who(a) + " is not a validator");
    if (!seen.insert(a).second) return fail(std::string(what) + ": " + who(a) + " signed twice");
  }
  return seen.size();
}

}  // namespace

CommitCertificate make_commit_certificate(std::vector<Vote> commits) {
  CommitCertificate cert;
  if (!commits.empty()) {
    cert.height = commits.front().height;
    cert.view = commits.front().view;
    cert.block_hash = commits.front().block_hash;
  }
  cert.commits = std::move(commits);
  return cert;
}

Bytes encode_certificate(const CommitCertificate& cert) {
  Bytes out;
  rlp::Encoder enc(out);
  const std::size_t list = enc.begin_list();
  enc.uint(cert.height);
  enc.uint(cert.view);
  enc.string(cert.block_hash);
  const std::size_t sigs = enc.begin_list();
  for (const Vote& c : cert.commits) {
    std::array<std::uint8_t, kSignatureBytes> raw{};
    std::copy(c.signer.signature.r.begin(), c.signer.signature.r.end(), raw.begin());
    std::copy(c.signer.signature.s.begin(), c.signer.signature.s.end(), raw.begin() + 32);
    raw[64] = c.signer.signature.recovery_id;
    enc.string(raw);
  }
  enc.end_list(sigs);
  enc.end_list(list);
  return out;
}

Result<CommitCertificate> decode_certificate(BytesView encoded, const Domain& domain,
                                             std::size_t max_commits) noexcept {
  try {
    if (encoded.size() > (max_commits + 1) * 80) {
      return fail("commit certificate: " + std::to_string(encoded.size()) + " bytes is too large");
    }
    return decode_unchecked(encoded, domain, max_commits);
  } catch (const std::exception& e) {
    return fail(std::string("commit certificate could not be decoded: ") + e.what());
  }
}

Result<void> check_certificate(const CommitCertificate& cert, const ValidatorSet& validators, std::uint64_t height,
                               const Hash256& block_hash) {
  if (cert.height != height) {
    return fail("commit certificate is for height " + std::to_string(cert.height) + ", not " + std::to_string(height));
  }
  if (cert.block_hash != block_hash) {
    return fail("commit certificate is for block " + short_hex(cert.block_hash) + ", not " + short_hex(block_hash));
  }
  std::vector<Address> signers;
  for (const Vote& c : cert.commits) {
    if (c.type != MessageType::commit || c.view != cert.view || c.height != cert.height ||
        c.block_hash != cert.block_hash) {
      return fail("commit certificate: a vote is not a commit for the certified block and view");
    }
    signers.push_back(c.signer.sender);
  }
  auto distinct = count_distinct_validators(signers, validators, "commit certificate");
  if (!distinct) return Unexpected{distinct.error()};
  if (*distinct < validators.quorum()) {
    return fail("commit certificate has " + std::to_string(*distinct) + " commits; a quorum is " +
                std::to_string(validators.quorum()) + " of " + std::to_string(validators.size()));
  }
  return {};
}

Result<void> verify_certificate(BytesView encoded, const Domain& domain, const ValidatorSet& validators,
                                std::uint64_t height, const Hash256& block_hash) {
  auto cert = decode_certificate(encoded, domain, validators.size());
  if (!cert) return Unexpected{cert.error()};
  return check_certificate(*cert, validators, height, block_hash);
}

Result<void> check_prepared(const PreparedCertificate& cert, const ValidatorSet& validators, std::uint64_t height) {
  const PrePrepare& pp = cert.pre_prepare;
  if (pp.height != height) return fail("prepared certificate is for another height");
  if (pp.signer.sender != validators.primary(pp.height, pp.view)) {
    return fail("prepared certificate: the pre-prepare is not from the primary of view " + std::to_string(pp.view));
  }
  std::vector<Address> signers;
  for (const Vote& p : cert.prepares) {
    if (p.type != MessageType::prepare || p.view != pp.view || p.height != pp.height || p.block_hash != pp.block_hash) {
      return fail("prepared certificate: a prepare does not match the pre-prepare");
    }
    // The primary's pre-prepare stands for its prepare.
    if (p.signer.sender == pp.signer.sender) return fail("prepared certificate: the primary also prepared");
    signers.push_back(p.signer.sender);
  }
  auto distinct = count_distinct_validators(signers, validators, "prepared certificate");
  if (!distinct) return Unexpected{distinct.error()};
  if (*distinct + 1 < validators.quorum()) {
    return fail("prepared certificate has " + std::to_string(*distinct + 1) + " signers; a quorum is " +
                std::to_string(validators.quorum()));
  }
  return {};
}

Result<void> check_view_change(const ViewChange& vc, const ValidatorSet& validators) {
  if (!validators.contains(vc.signer.sender)) return fail("view-change from a non-validator");
  if (vc.prepared) {
    if (vc.prepared->pre_prepare.view >= vc.new_view) {
      return fail("view-change: the prepared certificate is not from an earlier view");
    }
    if (auto ok = check_prepared(*vc.prepared, validators, vc.height); !ok) {
      return fail("view-change: " + ok.error().message);
    }
  }
  return {};
}

const PreparedCertificate* highest_prepared(const std::vector<ViewChange>& view_changes) {
  const PreparedCertificate* best = nullptr;
  for (const ViewChange& vc : view_changes) {
    if (vc.prepared && (best == nullptr || vc.prepared->pre_prepare.view > best->pre_prepare.view)) {
      best = &*vc.prepared;
    }
  }
  return best;
}

Result<void> check_new_view(const NewView& nv, const ValidatorSet& validators) {
  if (nv.signer.sender != validators.primary(nv.height, nv.view)) {
    return fail("new-view is not from the primary of view " + std::to_string(nv.view));
  }
  std::vector<Address> senders;
  for (const ViewChange& vc : nv.view_changes) {
    if (vc.new_view != nv.view || vc.height != nv.height) {
      return fail("new-view: a view change is for another view or height");
    }
    if (auto ok = check_view_change(vc, validators); !ok) return fail("new-view: " + ok.error().message);
    senders.push_back(vc.signer.sender);
  }
  auto distinct = count_distinct_validators(senders, validators, "new-view");
  if (!distinct) return Unexpected{distinct.error()};
  if (*distinct < validators.quorum()) return fail("new-view carries fewer than a quorum of view changes");
  const PrePrepare& pp = nv.pre_prepare;
  if (pp.view != nv.view || pp.height != nv.height || pp.signer.sender != nv.signer.sender) {
    return fail("new-view: the pre-prepare is not the primary's for this view and height");
  }
  const PreparedCertificate* best = highest_prepared(nv.view_changes);
  if (best != nullptr && best->pre_prepare.block_hash != pp.block_hash) {
    return fail("new-view: does not re-propose the highest prepared block " + short_hex(best->pre_prepare.block_hash));
  }
  return {};
}

}  // namespace tally::consensus::pbft
