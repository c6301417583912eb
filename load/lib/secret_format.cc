#include "secret_format.h"

namespace sever::load {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kLowerAlnum = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kUpperAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kHexLower = "0123456789abcdef";
constexpr std::string_view kHexUpper = "0123456789ABCDEF";
constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string_view alphabet_for(char c) {
  switch (c) {
    case 'b': return kBase62;
    case 'l': return kLowerAlnum;
    case 'B': return kUpperAlnum;
    case 'h': return kHexLower;
    case 'H': return kHexUpper;
    case 'd': return kDigits;
    case 'u': return kBase64Url;
    case 's': return kBase64;
    default: return {};
  }
}

/// Appends n characters drawn from alphabet. Each 64-bit draw yields several characters by
/// repeated multiply-and-take-the-high-part, using at most 48 of its bits (negligible bias,
/// fully deterministic).
void append_random(Rng& rng, std::string_view alphabet, uint32_t n, std::string* out) {
  const uint64_t k = alphabet.size();
  const uint32_t per_draw = k <= 16 ? 12 : (k <= 36 ? 9 : 8);
  while (n > 0) {
    uint64_t x = rng.bits();
    const uint32_t take = n < per_draw ? n : per_draw;
    for (uint32_t i = 0; i < take; ++i) {
      const unsigned __int128 m = static_cast<unsigned __int128>(x) * k;
      out->push_back(alphabet[static_cast<size_t>(m >> 64)]);
      x = static_cast<uint64_t>(m);
    }
    n -= take;
  }
}

void append_uuid(Rng& rng, std::string* out) {
  const uint64_t hi = rng.bits(), lo = rng.bits();
  char buf[36];
  size_t o = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) buf[o++] = '-';
    unsigned nib = static_cast<unsigned>(((i < 16 ? hi : lo) >> (60 - 4 * (i % 16))) & 0xf);
    if (i == 12) nib = 4;              // version 4
    if (i == 16) nib = 8 | (nib & 3);  // RFC 4122 variant
    buf[o++] = kHexLower[nib];
  }
  out->append(buf, sizeof buf);
}

}  // namespace

SecretFormat::SecretFormat(std::string_view tmpl) {
  std::string literal;
  const auto flush = [&] {
    if (literal.empty()) return;
    length_ += literal.size();
    segments_.push_back({Segment::Kind::literal, std::move(literal), {}, 0});
    literal.clear();
  };
  size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] == '{') {
      const size_t close = tmpl.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view spec = tmpl.substr(i + 1, close - i - 1);
        if (spec == "g") {
          flush();
          segments_.push_back({Segment::Kind::uuid, {}, {}, 0});
          length_ += 36;
          i = close + 1;
          continue;
        }
        uint32_t n = 0;
        bool digits = spec.size() >= 2;
        for (size_t j = 1; j < spec.size(); ++j) {
          if (spec[j] < '0' || spec[j] > '9') digits = false;
          else n = n * 10 + static_cast<uint32_t>(spec[j] - '0');
        }
        const std::string_view alphabet =
            spec.empty() ? std::string_view{} : alphabet_for(spec[0]);
        if (digits && !alphabet.empty() && n > 0) {
          flush();
          segments_.push_back({Segment::Kind::random, {}, alphabet, n});
          length_ += n;
          i = close + 1;
          continue;
        }
      }
    }
    literal.push_back(tmpl[i++]);
  }
  flush();
}

void SecretFormat::append(Rng& rng, std::string* out) const {
  for (const Segment& s : segments_) {
    switch (s.kind) {
      case Segment::Kind::literal: out->append(s.literal); break;
      case Segment::Kind::random: append_random(rng, s.alphabet, s.count, out); break;
      case Segment::Kind::uuid: append_uuid(rng, out); break;
    }
  }
}

}  // namespace sever::load
