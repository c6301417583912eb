// Errors as values at every module boundary of sever.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sever {

/// What kind of failure a Status carries. The CLI maps each to an exit code (see exit_code()).
enum class Code {
  ok,
  invalid_argument,  // the caller's input is wrong: a bad line, flag, id or spec
  not_found,         // the named thing does not exist
  already_exists,    // creating something that is already there
  refused,           // a policy says no: frozen, revoked, key file too open
  key_mismatch,      // the master key does not belong to this store
  corruption,        // stored bytes fail their integrity check
  io_error,          // the file system or the database failed
  crypto_error,      // OpenSSL or the HSM failed
  internal,          // a bug
};

/// A success or a failure with a message that names what and where.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {Code::invalid_argument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::not_found, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::already_exists, std::move(m)}; }
  static Status Refused(std::string m) { return {Code::refused, std::move(m)}; }
  static Status KeyMismatch(std::string m) { return {Code::key_mismatch, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::corruption, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::io_error, std::move(m)}; }
  static Status CryptoError(std::string m) { return {Code::crypto_error, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::internal, std::move(m)}; }

  /// Returns true iff this is a success.
  bool ok() const { return code_ == Code::ok; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  /// Returns "code: message", or "ok".
  std::string ToString() const;

  /// Returns a copy whose message is "context: message" (a no-op on success).
  Status Prefixed(const std::string& context) const;

 private:
  Code code_ = Code::ok;
  std::string message_;
};

/// Returns the process exit code of the CLI contract for a status: 0 ok, 2 bad input or unknown
/// id, 3 refused (frozen, revoked, wrong master key), 1 anything else.
int exit_code(const Status& s);

/// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}             // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {       // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "a Result needs a value or a failed Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  /// Returns the failure; Status::Ok() when there is a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sever

/// Returns from the enclosing function when `expr` (a Status) failed.
#define SEVER_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::sever::Status _st = (expr);          \
    if (!_st.ok()) return _st;             \
  } while (0)

#define SEVER_CONCAT_INNER(a, b) a##b
#define SEVER_CONCAT(a, b) SEVER_CONCAT_INNER(a, b)
/// `SEVER_ASSIGN_OR_RETURN(auto x, f());` binds the value of a Result or returns its Status.
#define SEVER_ASSIGN_OR_RETURN(lhs, expr) \
  SEVER_ASSIGN_OR_RETURN_IMPL(SEVER_CONCAT(_res_, __LINE__), lhs, expr)
#define SEVER_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
