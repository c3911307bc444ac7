#include "consensus/pow/engine.hpp"

#include <string>

#include "consensus/pow/seal.hpp"

namespace tally::consensus::pow {

PowEngine::PowEngine(const chain::PowParams& params, const chain::Header& genesis)
    : params_(params), asert_(asert_params(params, genesis)) {}

Result<void> PowEngine::verify_header(const chain::Header& header, const chain::Header& parent,
                                      const chain::HeaderReader& chain, std::uint64_t now_seconds) const {
  const std::string where = "block " + std::to_string(header.number) + ": ";
  auto seal = read_seal(header);
  if (!seal) return fail(where + seal.error().message);

  const U256 expected = next_difficulty(parent);
  if (seal->difficulty != expected) {
    return fail(where + "pow: difficulty " + u256_to_decimal(seal->difficulty) + " is not the expected " +
                u256_to_decimal(expected));
  }

  auto mtp = median_time_past(parent, chain);
  if (!mtp) return fail(where + mtp.error().message);
  if (header.timestamp <= *mtp) {
    return fail(where + "pow: timestamp " + std::to_string(header.timestamp) +
                " is not after the median time of the last 11 blocks (" + std::to_string(*mtp) + ")");
  }
  // now_seconds + 15 cannot overflow for any real clock; saturate anyway.
  const std::uint64_t latest =
      now_seconds > UINT64_MAX - kMaxFutureSeconds ? UINT64_MAX : now_seconds + kMaxFutureSeconds;
  if (header.timestamp > latest) {
    return fail(where + "pow: timestamp " + std::to_string(header.timestamp) + " is more than " +
                std::to_string(kMaxFutureSeconds) + " s in the future (now " + std::to_string(now_seconds) + ")");
  }

  auto sealed = check_seal(header);
  if (!sealed) return fail(where + sealed.error().message);
  return {};
}

U256 PowEngine::weight(const chain::Header& header) const {
  auto difficulty = read_difficulty(header);
  return difficulty ? *difficulty : U256(0);
}

Result<void> PowEngine::verify_finality(const chain::Header& /*header*/, BytesView /*certificate*/) const {
  return fail("pow: proof of work has no finality certificates");
}

}  // namespace tally::consensus::pow
