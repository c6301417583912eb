// Templates for realistic-looking secrets: "gho_{b36}" is "gho_" and 36 random base62 chars.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rng.h"

namespace sever::load {

/// A compiled secret template. Placeholders, N a decimal length:
///   {bN} base62  {lN} lowercase + digits  {BN} uppercase + digits  {hN} lowercase hex
///   {HN} uppercase hex  {dN} digits  {uN} base64url (A-Za-z0-9-_)  {sN} base64 (A-Za-z0-9+/)
///   {g} a UUID v4 ("8-4-4-4-12" lowercase hex)
/// Everything else is literal. Generated text never needs JSON escaping.
class SecretFormat {
 public:
  /// Compiles a template; a malformed placeholder is kept as literal text (templates are
  /// constants of this module, checked by its tests through the generated output).
  explicit SecretFormat(std::string_view tmpl);

  /// Appends one random secret to *out.
  void append(Rng& rng, std::string* out) const;

  /// Returns the length of every secret this format produces.
  size_t length() const { return length_; }

 private:
  struct Segment {
    enum class Kind { literal, random, uuid } kind;
    std::string literal;        // kind literal
    std::string_view alphabet;  // kind random
    uint32_t count = 0;         // kind random
  };
  std::vector<Segment> segments_;
  size_t length_ = 0;
};

}  // namespace sever::load
