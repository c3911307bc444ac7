// One peer connection: framed reads into the host, a bounded write queue.

#include <algorithm>

#include "p2p/host_impl.hpp"

namespace tally::p2p {

bool TokenBucket::take(double amount, Clock::time_point now) {
  const std::chrono::duration<double> elapsed = now - last_;
  last_ = now;
  tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
  if (tokens_ < amount) return false;
  tokens_ -= amount;
  return true;
}

Peer::Peer(Host::Impl& host_impl, tcp::socket socket, PeerId peer_id, bool is_outbound, std::string dialled)
    : host(host_impl),
      id(peer_id),
      outbound(is_outbound),
      dial_address(std::move(dialled)),
      known_txs(host_impl.options.max_known_items),
      known_blocks(host_impl.options.max_known_items),
      known_consensus(host_impl.options.max_known_items),
      message_bucket(static_cast<double>(host_impl.options.max_messages_per_second),
                     2.0 * static_cast<double>(host_impl.options.max_messages_per_second)),
      byte_bucket(static_cast<double>(host_impl.options.max_bytes_per_second),
                  // a burst always fits the largest frame
                  std::max(2.0 * static_cast<double>(host_impl.options.max_bytes_per_second),
                           2.0 * static_cast<double>(kMaxBlockMessageBytes))),
      socket_(std::move(socket)),
      close_timer_(host_impl.io) {
  boost::system::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) {
    remote_ip = endpoint.address().to_string();
    remote_port = endpoint.port();
  }
  socket_.set_option(tcp::no_delay(true), ec);  // best effort: latency only
}

std::string Peer::label() const {
  std::string text = "peer " + std::to_string(id) + " (" + remote_ip + ":" + std::to_string(remote_port);
  if (!node_id_hex.empty()) text += ", " + node_id_hex.substr(0, 8);
  return text + ")";
}

std::string Peer::listen_address() const {
  if (outbound) return dial_address;
  if (!hello || hello->listen_port == 0 || remote_ip.empty()) return {};
  return PeerAddress{remote_ip, hello->listen_port}.to_string();
}

void Peer::start() {
  read_header();
}

void Peer::read_header() {
  asio::async_read(socket_, asio::buffer(header_buffer_),
                   [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                     self->host.bytes_received.fetch_add(n, std::memory_order_relaxed);
                     if (self->state == PeerState::closed) return;
                     if (ec) {
                       self->host.on_peer_io_error(self, ec.message());
                       return;
                     }
                     auto header = decode_frame_header(self->header_buffer_);
                     if (!header) {
                       // Checked before any payload is allocated or read.
                       self->host.misbehave(self, kScoreMalformed, header.error().message);
                       if (self->state != PeerState::closed)
                         self->disconnect(DisconnectReason::protocol_error, header.error().message);
                       return;
                     }
                     self->frame_header_ = *header;
                     self->read_payload();
                   });
}

void Peer::read_payload() {
  payload_buffer_.resize(frame_header_.payload_length);
  asio::async_read(socket_, asio::buffer(payload_buffer_),
                   [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                     self->host.bytes_received.fetch_add(n, std::memory_order_relaxed);
                     if (self->state == PeerState::closed) return;
                     if (ec) {
                       self->host.on_peer_io_error(self, ec.message());
                       return;
                     }
                     self->host.on_frame(self, self->frame_header_.type, self->payload_buffer_);
                     if (self->state == PeerState::closed) return;
                     // Big buffers are not kept between frames.
                     if (self->payload_buffer_.capacity() > (64U << 10U)) Bytes().swap(self->payload_buffer_);
                     self->read_header();
                   });
}

void Peer::send(const Message& message) {
  if (state == PeerState::closing || state == PeerState::closed) return;
  host.count_sent(type_of(message));
  queue_frame(encode_message(message));
}

void Peer::queue_frame(Bytes frame) {
  if (queued_bytes_ + frame.size() > host.options.max_send_queue_bytes) {
    // The peer does not read: nothing more can reach it, not even a Disconnect.
    host.log(LogLevel::warn, label() + ": send queue over " + std::to_string(host.options.max_send_queue_bytes) +
                                 " bytes, dropping the peer (slow reader)");
    {
      std::lock_guard lock(host.snapshot_mutex);
      ++host.stats.disconnects_sent[static_cast<std::size_t>(DisconnectReason::slow_reader)];
    }
    close();
    return;
  }
  queued_bytes_ += frame.size();
  queue_.push_back(std::move(frame));
  if (!writing_) write_next();
}

void Peer::write_next() {
  writing_ = true;
  // What has queued up meanwhile goes out in one write: one system call
  // (while the socket takes it all) and one completion for many small
  // frames (announcements, votes) instead of one each. The frames stay put
  // in the deque while later ones are pushed behind them.
  const std::size_t frames = std::min(queue_.size(), kMaxFramesPerWrite);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(frames);
  for (std::size_t i = 0; i < frames; ++i) buffers.emplace_back(asio::buffer(queue_[i]));
  asio::async_write(socket_, buffers,
                    [self = shared_from_this(), frames](const boost::system::error_code& ec, std::size_t n) {
                      self->host.bytes_sent.fetch_add(n, std::memory_order_relaxed);
                      if (self->state == PeerState::closed) return;
                      for (std::size_t i = 0; i < frames; ++i) {
                        self->queued_bytes_ -= self->queue_.front().size();
                        self->queue_.pop_front();
                      }
                      if (ec) {
                        self->host.on_peer_io_error(self, ec.message());
                        return;
                      }
                      if (self->queue_.empty()) {
                        self->writing_ = false;
                        if (self->state == PeerState::closing) self->close();
                        return;
                      }
                      self->write_next();
                    });
}

void Peer::disconnect(DisconnectReason reason, const std::string& detail) {
  if (state == PeerState::closing || state == PeerState::closed) return;
  {
    std::lock_guard lock(host.snapshot_mutex);
    ++host.stats.disconnects_sent[static_cast<std::size_t>(reason)];
  }
  std::string text = detail.substr(0, kMaxDisconnectDetailBytes);
  send(Disconnect{reason, std::move(text)});
  if (state == PeerState::closed) return;  // the send queue was full
  state = PeerState::closing;
  if (!writing_) {
    close();
    return;
  }
  close_timer_.expires_after(std::chrono::seconds(1));
  close_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->close();
  });
}

void Peer::close() {
  if (state == PeerState::closed) return;
  state = PeerState::closed;
  boost::system::error_code ignored;  // closing: an error here changes nothing
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  close_timer_.cancel();
  // Forget the peer on the next turn, never inside a loop over the peers.
  asio::post(host.io, [self = shared_from_this()] { self->host.on_peer_closed(self); });
}

}  // namespace tally::p2p
