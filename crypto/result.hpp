#pragma once
// Errors as values: a Result<T> holds either a T or an Error that says, in
// words a user can act on, what was wrong. Used across the core layers
// instead of exceptions for anything that comes from outside (bytes off the
// network or disk, user input).

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace tally {

struct Error {
  std::string message;
};

class BadResultAccess : public std::logic_error {
 public:
  explicit BadResultAccess(const std::string& what) : std::logic_error(what) {}
};

// Tags the error alternative so Result<std::string> stays unambiguous.
struct Unexpected {
  Error error;
};

inline Unexpected fail(std::string message) {
  return Unexpected{Error{std::move(message)}};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Unexpected err) : state_(std::in_place_index<1>, std::move(err.error)) {}  // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  const T& value() const& {
    check();
    return std::get<0>(state_);
  }
  T& value() & {
    check();
    return std::get<0>(state_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(state_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const Error& error() const {
    if (ok()) throw BadResultAccess("Result::error() called on a value");
    return std::get<1>(state_);
  }

 private:
  void check() const {
    if (!ok()) throw BadResultAccess("Result::value() called on an error: " + std::get<1>(state_).message);
  }
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected err) : error_(std::move(err.error)), failed_(true) {}  // NOLINT

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  void value() const {
    if (failed_) throw BadResultAccess("Result<void>::value() called on an error: " + error_.message);
  }
  const Error& error() const {
    if (!failed_) throw BadResultAccess("Result::error() called on a value");
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace tally
