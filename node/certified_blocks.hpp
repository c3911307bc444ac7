#pragma once
// Blocks from peers on a chain with finality (PBFT): a block is imported
// only with a valid commit certificate, so the local chain is final up to
// its head, on validators and full nodes alike.
//
// A block a peer sends (gossip or sync) waits here while its certificate is
// fetched (p2p GetCertificates). Certified blocks that extend the head are
// verified (Engine::verify_finality), imported in order on the import
// thread, finalized (ChainManager::finalize stores the certificate), and
// reported to `on_final` (the PBFT driver moves its replica on). A
// certificate that does not verify is refused and its sender reported; the
// block stays and its certificate is asked of another peer.
//
// Threads: on_block and on_certificates come from the p2p thread, tick from
// a timer; imports run on the importer's thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "chain/chain_manager.hpp"
#include "node/importer.hpp"
#include "p2p/host.hpp"

namespace tally::node {

class CertifiedBlocks {
 public:
  // Blocks held while their certificate is missing; more are dropped (sync
  // hands them again later).
  static constexpr std::size_t kMaxPending = 1'024;
  // A missing certificate is asked for again after this long.
  static constexpr std::chrono::milliseconds kRetry{1'000};

  using FinalListener = std::function<void(std::uint64_t height, const Hash256& hash)>;

  CertifiedBlocks(chain::ChainManager& chain, Importer& importer) : chain_(chain), importer_(importer) {}

  void attach(p2p::Host* host) { host_ = host; }
  // Runs on the import thread after each block this imports and finalizes.
  void set_final_listener(FinalListener listener) { on_final_ = std::move(listener); }

  void on_block(p2p::PeerId from, chain::Block block);
  void on_certificates(p2p::PeerId from, std::vector<p2p::CertificateEntry> certificates);
  // Asks again for certificates still missing; forgets blocks made obsolete
  // by the chain (at or below the final height).
  void tick();

  std::size_t pending() const;

 private:
  struct Pending {
    chain::Block block;
    p2p::PeerId from = 0;
    std::optional<Bytes> certificate;
    p2p::PeerId certificate_from = 0;
    std::chrono::steady_clock::time_point asked{};
  };

  // Posts an import of the certified blocks that extend the head.
  void schedule_import();
  // On the import thread.
  void import_ready();

  chain::ChainManager& chain_;
  Importer& importer_;
  p2p::Host* host_ = nullptr;
  FinalListener on_final_;

  mutable std::mutex mutex_;
  std::map<Hash256, Pending> pending_;
  bool import_scheduled_ = false;
  std::chrono::steady_clock::time_point scheduled_at_{};
};

}  // namespace tally::node
