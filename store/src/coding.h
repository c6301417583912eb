// Internal: little helpers to encode and decode the binary formats (records, keys, audit).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sever::coding {

/// Appends v as a LEB128 varint.
inline void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

/// Appends a signed value zigzag-encoded as a varint.
inline void put_varint_signed(std::string* out, int64_t v) {
  put_varint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

/// Appends a varint length, then the bytes.
inline void put_bytes(std::string* out, std::string_view s) {
  put_varint(out, s.size());
  out->append(s);
}

/// Appends v as 4 big-endian bytes (sorts numerically as a key).
inline void put_be32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

/// Appends v as 8 big-endian bytes (sorts numerically as a key).
inline void put_be64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

/// Reads big-endian integers written by put_be32/put_be64; `p` must hold enough bytes.
inline uint32_t get_be32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint64_t get_be64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

/// Consumes values from a byte string. Every getter returns false, and leaves the reader failed,
/// when the input is too short or malformed.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool u8(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (in_.empty()) return false;
      auto b = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool varint32(uint32_t* v) {
    uint64_t x;
    if (!varint(&x) || x > UINT32_MAX) return false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  bool varint_signed(int64_t* v) {
    uint64_t x;
    if (!varint(&x)) return false;
    *v = static_cast<int64_t>((x >> 1) ^ (~(x & 1) + 1));
    return true;
  }
  bool bytes(std::string_view* s) {
    uint64_t n;
    if (!varint(&n) || n > in_.size()) return false;
    *s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool be64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = get_be64(in_.data());
    in_.remove_prefix(8);
    return true;
  }
  bool raw(size_t n, std::string_view* s) {
    if (in_.size() < n) return false;
    *s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  /// Returns the bytes not consumed yet.
  std::string_view rest() const { return in_; }
  /// Returns true iff every byte was consumed.
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace sever::coding
