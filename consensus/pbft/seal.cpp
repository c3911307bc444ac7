#include "consensus/pbft/seal.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "chain/rlp.hpp"
#include "crypto/address.hpp"
#include "crypto/keccak.hpp"

namespace tally::consensus::pbft {
namespace {
constexpr std::string_view kSealTag = "tally-pbft-seal-v1";
constexpr std::size_t kSignatureBytes = 65;
}  // namespace

Hash256 seal_digest(const Domain& domain, const chain::Header& header, std::uint64_t view) {
  const Hash256 unsealed = crypto::keccak256(chain::encode_header_omitting_seal(header, header.seal.size()));
  Bytes out;
  rlp::Encoder enc(out);
  const std::size_t list = enc.begin_list();
  enc.string(as_bytes(kSealTag));
  enc.uint(domain.chain_id);
  enc.string(domain.genesis_hash);
  enc.uint(view);
  enc.string(unsealed);
  enc.end_list(list);
  return crypto::keccak256(out);
}

void seal_header(chain::Header& header, std::uint64_t view, const Domain& domain, const crypto::PrivateKey& key) {
  const crypto::Signature sig = crypto::sign(seal_digest(domain, header, view), key);
  std::array<std::uint8_t, kSignatureBytes> raw{};
  std::copy(sig.r.begin(), sig.r.end(), raw.begin());
  std::copy(sig.s.begin(), sig.s.end(), raw.begin() + 32);
  raw[64] = sig.recovery_id;
  header.seal.clear();
  header.seal.push_back(rlp::encode_uint(view));
  header.seal.push_back(rlp::encode_string(raw));
}

Result<PbftSeal> read_seal(const chain::Header& header) {
  if (header.seal.size() != kSealItems) {
    return fail("pbft: seal has " + std::to_string(header.seal.size()) + " items, expected 2 (view, signature)");
  }
  auto view_item = rlp::decode(header.seal[0]);
  if (!view_item) return fail("pbft: seal view: " + view_item.error().message);
  auto view = rlp::read_uint64(*view_item);
  if (!view) return fail("pbft: seal view: " + view.error().message);
  auto sig_item = rlp::decode(header.seal[1]);
  if (!sig_item) return fail("pbft: seal signature: " + sig_item.error().message);
  auto raw = rlp::read_fixed<kSignatureBytes>(*sig_item);
  if (!raw) return fail("pbft: seal signature: " + raw.error().message);
  PbftSeal seal;
  seal.view = *view;
  std::copy(raw->begin(), raw->begin() + 32, seal.signature.r.begin());
  std::copy(raw->begin() + 32, raw->begin() + 64, seal.signature.s.begin());
  seal.signature.recovery_id = (*raw)[64];
  if (seal.signature.recovery_id > 1) return fail("pbft: seal signature recovery id is not 0 or 1");
  return seal;
}

Result<Address> seal_proposer(const chain::Header& header, const Domain& domain) {
  auto seal = read_seal(header);
  if (!seal) return Unexpected{seal.error()};
  auto key = crypto::recover(seal_digest(domain, header, seal->view), seal->signature);
  if (!key) return fail("pbft: bad seal signature: " + key.error().message);
  return crypto::address_of(*key);
}

}  // namespace tally::consensus::pbft
