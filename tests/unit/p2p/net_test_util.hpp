#pragma once
// Loopback test helpers: a host with a fake chain and captured logs, and a
// raw peer on a plain blocking socket (every read has a timeout) for
// speaking the protocol by hand, correctly or not.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crypto/secp256k1.hpp"
#include "p2p/host.hpp"
#include "p2p/messages.hpp"
#include "p2p/node_key.hpp"
#include "p2p_test_util.hpp"

namespace tally::p2p::test {

class TestNode {
 public:
  explicit TestNode(HostOptions options, std::uint64_t chain_id = 1, chain::Block genesis = genesis_block())
      : key(crypto::generate_private_key()), chain(chain_id, std::move(genesis)) {
    options.log = [this](LogLevel, const std::string& line) {
      std::lock_guard lock(log_mutex_);
      if (log_.size() < 10'000) log_.push_back(line);
    };
    host = std::make_unique<Host>(key, chain, std::move(options));
    chain.set_host(host.get());
  }
  ~TestNode() {
    host->stop();
    chain.set_host(nullptr);
  }
  TestNode(const TestNode&) = delete;
  TestNode& operator=(const TestNode&) = delete;

  bool start() {
    auto started = host->start();
    if (!started) ADD_FAILURE() << started.error().message;
    return started.ok();
  }
  std::string address() const { return local_address(*host); }
  std::string id() const { return node_id_hex(host->node_id()); }
  std::size_t log_count(const std::string& text) const {
    std::lock_guard lock(log_mutex_);
    std::size_t count = 0;
    for (const auto& line : log_) {
      if (line.find(text) != std::string::npos) ++count;
    }
    return count;
  }
  bool logged(const std::string& text) const { return log_count(text) > 0; }
  bool connected_to(const TestNode& other) const {
    for (const auto& peer : host->peers()) {
      if (peer.node_id == other.id()) return true;
    }
    return false;
  }
  std::uint64_t sent(MessageType type) const { return host->stats().messages_sent[static_cast<std::size_t>(type)]; }
  std::uint64_t received(MessageType type) const {
    return host->stats().messages_received[static_cast<std::size_t>(type)];
  }
  std::uint64_t disconnects_sent(DisconnectReason reason) const {
    return host->stats().disconnects_sent[static_cast<std::size_t>(reason)];
  }

  crypto::PrivateKey key;
  FakeChain chain;

 private:
  mutable std::mutex log_mutex_;
  std::vector<std::string> log_;

 public:
  std::unique_ptr<Host> host;
};

class RawPeer {
 public:
  explicit RawPeer(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {  // NOLINT
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawPeer() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  bool connected() const { return fd_ >= 0; }

  // Shrinks the receive buffer so a peer that stops reading fills up fast.
  void shrink_receive_buffer() {
    int size = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }

  bool send_bytes(BytesView bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool send(const Message& message) { return send_bytes(encode_message(message)); }

  // The next message; nullopt on close, timeout (5 s) or a bad frame.
  std::optional<Message> read() {
    Bytes header(kFrameHeaderBytes);
    if (!read_exact(header)) return std::nullopt;
    auto decoded = decode_frame_header(header);
    if (!decoded) return std::nullopt;
    Bytes payload(decoded->payload_length);
    if (!read_exact(payload)) return std::nullopt;
    auto message = decode_message(decoded->type, payload);
    if (!message) return std::nullopt;
    return std::move(*message);
  }

  // Reads until a message of type T (at most 1000 messages).
  template <class T>
  std::optional<T> read_until() {
    for (int i = 0; i < 1000; ++i) {
      auto message = read();
      if (!message) return std::nullopt;
      if (auto* wanted = std::get_if<T>(&*message)) return *wanted;
    }
    return std::nullopt;
  }

  // Runs the handshake as `key`; `claimed` overrides the node id in the
  // Hello (a forgery when it is not key's). Returns the host's Hello.
  std::optional<Hello> handshake(const crypto::PrivateKey& key, std::uint64_t chain_id, const Hash256& genesis,
                                 std::optional<crypto::PublicKey> claimed = std::nullopt) {
    auto their_challenge = read_until<Challenge>();
    if (!their_challenge) return std::nullopt;
    if (!send(Challenge{Hash256{0x5a}})) return std::nullopt;
    auto their_hello = read_until<Hello>();
    if (!their_hello) return std::nullopt;
    Hello hello;
    hello.chain_id = chain_id;
    hello.genesis_hash = genesis;
    hello.node_id = claimed.value_or(crypto::public_key_of(key));
    hello.signature = crypto::sign(hello_digest(their_challenge->nonce, hello.node_id), key);
    hello.client_name = "raw";
    if (!send(hello)) return std::nullopt;
    return their_hello;
  }

 private:
  bool read_exact(Bytes& buffer) {
    std::size_t got = 0;
    while (got < buffer.size()) {
      const auto n = ::recv(fd_, buffer.data() + got, buffer.size() - got, 0);
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  }
  int fd_ = -1;
};

// Runs `raw`'s handshake with `node` as a new key and waits until the node
// counts `peers_after` peers: the raw peer then stands as any other.
inline bool join_as_new_peer(RawPeer& raw, const TestNode& node, std::size_t peers_after = 1) {
  if (!raw.handshake(crypto::generate_private_key(), node.chain.chain_id(), node.chain.genesis_hash())) return false;
  return wait_until([&] { return node.host->peer_count() == peers_after; });
}

}  // namespace tally::p2p::test
