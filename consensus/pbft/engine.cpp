#include "consensus/pbft/engine.hpp"

#include <stdexcept>
#include <string>

#include "consensus/pbft/certificate.hpp"
#include "consensus/pbft/seal.hpp"
#include "crypto/address.hpp"

namespace tally::consensus::pbft {
namespace {
const chain::PbftParams& pbft_params_of(const chain::Genesis& genesis) {
  if (!genesis.config.is_pbft()) throw std::invalid_argument("pbft engine: the genesis is not a PBFT genesis");
  return std::get<chain::PbftParams>(genesis.config.consensus);
}
}  // namespace

PbftEngine::PbftEngine(const chain::PbftParams& params, const Domain& domain)
    : params_(params), domain_(domain), validators_(params.validators) {}

PbftEngine::PbftEngine(const chain::Genesis& genesis)
    : PbftEngine(pbft_params_of(genesis), Domain{genesis.config.chain_id, genesis.hash}) {}

Result<void> PbftEngine::verify_header(const chain::Header& header, const chain::Header& /*parent*/,
                                       const chain::HeaderReader& /*chain*/, std::uint64_t now_seconds) const {
  const std::string where = "block " + std::to_string(header.number) + ": ";
  auto seal = read_seal(header);
  if (!seal) return fail(where + seal.error().message);
  auto proposer = seal_proposer(header, domain_);
  if (!proposer) return fail(where + proposer.error().message);
  const Address& primary = validators_.primary(header.number, seal->view);
  if (*proposer != primary) {
    return fail(where + "pbft: sealed by " + crypto::to_checksum_address(*proposer) + ", but the primary of view " +
                std::to_string(seal->view) + " is " + crypto::to_checksum_address(primary));
  }
  const std::uint64_t latest =
      now_seconds > UINT64_MAX - kMaxFutureSeconds ? UINT64_MAX : now_seconds + kMaxFutureSeconds;
  if (header.timestamp > latest) {
    return fail(where + "pbft: timestamp " + std::to_string(header.timestamp) + " is more than " +
                std::to_string(kMaxFutureSeconds) + " s in the future (now " + std::to_string(now_seconds) + ")");
  }
  return {};
}

Result<void> PbftEngine::verify_finality(const chain::Header& header, BytesView certificate) const {
  auto ok = verify_certificate(certificate, domain_, validators_, header.number, chain::header_hash(header));
  if (!ok) return fail("block " + std::to_string(header.number) + ": pbft: " + ok.error().message);
  return {};
}

}  // namespace tally::consensus::pbft
