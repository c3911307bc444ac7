// One WebSocket connection: every text message is a JSON-RPC request or
// batch; responses and subscription notifications share one bounded send
// queue, written one message at a time.

#include <deque>

#include "rpc/server_internal.hpp"

namespace tally::rpc::detail {

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(ServerShared& shared, beast::tcp_stream stream, ConnectionSlot slot)
      : shared_(shared), ws_(std::move(stream)), slot_(std::move(slot)), id_(shared.next_connection_id.fetch_add(1)) {}

  ~WsSession() = default;

  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  void run(HttpRequest upgrade) {
    upgrade_ = std::move(upgrade);
    admin_ = shared_.is_admin(upgrade_);
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = shared_.options.idle_timeout;
    timeouts.idle_timeout = shared_.options.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.read_message_max(shared_.options.max_ws_message_bytes);
    ws_.async_accept(upgrade_, [self = shared_from_this()](const beast::error_code& ec) { self->on_accept(ec); });
  }

  std::uint64_t id() const { return id_; }

  // Thread-safe: queues one message. False when closed or over the limit
  // (the connection is then dropped).
  bool enqueue(std::string message) {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    if (queued_bytes_ + message.size() > shared_.options.max_ws_send_queue_bytes) {
      closed_ = true;
      shared_.slow_dropped.fetch_add(1);
      shared_.log("WebSocket client " + std::to_string(id_) + " does not read its messages: disconnected");
      asio::post(ws_.get_executor(), [self = shared_from_this()] { self->abort(); });
      return false;
    }
    queued_bytes_ += message.size();
    queue_.push_back(std::move(message));
    if (!writing_) {
      writing_ = true;
      asio::post(ws_.get_executor(), [self = shared_from_this()] { self->write_next(); });
    }
    return true;
  }

  void mark_closed() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

 private:
  void on_accept(const beast::error_code& ec);

  void read() {
    ws_.async_read(buffer_,
                   [self = shared_from_this()](const beast::error_code& ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(const beast::error_code& ec) {
    if (ec) return mark_closed();  // closed by the client, timed out, too large: the session ends
    shared_.ws_messages.fetch_add(1);
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    CallContext context;
    context.admin = admin_;
    context.sink = sink_;
    context.max_subscriptions = shared_.options.max_subscriptions_per_connection;
    if (auto response = process_request(text, context, shared_.methods, shared_.process)) {
      if (!enqueue(std::move(*response))) return;
    }
    read();
  }

  // On the strand: writes the oldest queued message.
  void write_next() {
    const std::string* message = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) {
        writing_ = false;
        return;
      }
      message = &queue_.front();  // deque: stays valid while others are pushed
    }
    ws_.text(true);
    ws_.async_write(asio::buffer(*message),
                    [self = shared_from_this()](const beast::error_code& ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(const beast::error_code& ec) {
    {
      std::lock_guard lock(mutex_);
      queued_bytes_ -= queue_.front().size();
      queue_.pop_front();
      if (ec) {
        closed_ = true;
        return;
      }
    }
    write_next();
  }

  // On the strand: drops the connection at once (no closing handshake: the
  // client is not reading). Pending operations end with an error.
  void abort() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  ServerShared& shared_;
  websocket::stream<beast::tcp_stream> ws_;
  ConnectionSlot slot_;
  const std::uint64_t id_;
  HttpRequest upgrade_;
  bool admin_ = false;
  beast::flat_buffer buffer_;
  std::shared_ptr<NotificationSink> sink_;

  std::mutex mutex_;  // guards the send queue: pushes come from any thread
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closed_ = false;
};

namespace {

// What publishers hold (weakly): forwards to the session while it lives.
class WsSink : public NotificationSink {
 public:
  WsSink(std::weak_ptr<WsSession> session, std::uint64_t id, std::shared_ptr<PushGate> gate)
      : session_(std::move(session)), id_(id), gate_(std::move(gate)) {}
  bool push(const Json& message) override {
    std::shared_lock lock(gate_->mutex);
    if (!gate_->open) return false;
    auto session = session_.lock();  // released before the lock
    return session && session->enqueue(to_body(message));
  }
  std::uint64_t connection_id() const override { return id_; }

 private:
  std::weak_ptr<WsSession> session_;
  std::uint64_t id_;
  std::shared_ptr<PushGate> gate_;
};

}  // namespace

void WsSession::on_accept(const beast::error_code& ec) {
  if (ec) return;
  upgrade_ = {};
  sink_ = std::make_shared<WsSink>(weak_from_this(), id_, shared_.push_gate);
  read();
}

void start_ws_session(ServerShared& shared, beast::tcp_stream stream, HttpRequest upgrade, ConnectionSlot slot) {
  std::make_shared<WsSession>(shared, std::move(stream), std::move(slot))->run(std::move(upgrade));
}

}  // namespace tally::rpc::detail
