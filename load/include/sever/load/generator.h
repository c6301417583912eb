// Synthetic credential stores shaped like a real integration platform's, as JSONL.
//
// Each line is one credential:
//   {"tenant":"t00042-acme","id":"c000001","tool":"github","kind":"oauth_access",
//    "secret":"gho_…","scopes":["repo:status","read:user","read:org","admin:org"],
//    "user":"alice.nguyen@acme-42.example","created_at":"2026-01-02T03:04:05Z",
//    "last_used_at":null,"expires_at":null,"client":"github-app-1"}
//
// The shape (all relative to GenOptions::now_unix):
// - tools: the sever::catalog tools, weighted like a real platform (GitHub, Gmail, Slack about
//   40% together; a long tail; a handful each of workday, gong, metabase, sentry, vercel, render);
//   kind and secret format per tool (xoxb-… bot tokens, gho_/ghp_/github_pat_…, ya29.…/1//…);
// - tenants: Zipf-like sizes (weight 1/(rank+5)), named "t00042-<word>", each with users in its
//   own domain; ids "c" + a 6-digit per-tenant counter, unique within a tenant;
// - scopes: the catalog's required scopes (none for api_key credentials and tools without a
//   scope model), plus for 30% of the rest one to three optional (over-granted) scopes;
// - created_at over the last 3 years, skewed to recent; last_used_at null for 10% (never used),
//   older than 90 days for 25% (dormant), within the last 90 days otherwise;
// - expires_at in the past for 5%, in the coming year for 15%, null otherwise;
// - client: one of a few OAuth clients per tool, "github-app-1" … "github-app-4".
//
// Deterministic: the same options give byte-identical output with any standard library (the
// random stream is std::mt19937_64 with hand-written draws).
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sever/store/status.h"

namespace sever::load {

/// The values the `kind` field takes.
inline constexpr std::array<std::string_view, 5> kKinds = {"oauth_access", "oauth_refresh",
                                                          "api_key", "bot_token", "pat"};

/// Most tenants a run may have (each costs a few dozen bytes of memory).
inline constexpr uint32_t kMaxTenants = 1'000'000;
/// The range of GenOptions::now_unix: 1980-01-01 to 9000-01-01, so every timestamp written
/// (three years back, one year ahead) has a four-digit year.
inline constexpr int64_t kMinNowUnix = 315532800;
inline constexpr int64_t kMaxNowUnix = 221845392000;

struct GenOptions {
  uint64_t count = 0;    // lines to write
  uint32_t tenants = 0;  // 0: auto_tenants(count)
  uint64_t seed = 1;
  int64_t now_unix = 0;  // every timestamp is relative to this
};

/// Returns the tenant count used when GenOptions::tenants is 0: count / 200, clamped to
/// [1, 100000].
uint32_t auto_tenants(uint64_t count);

/// Returns InvalidArgument, naming the field, if tenants exceeds kMaxTenants or now_unix is
/// outside [kMinNowUnix, kMaxNowUnix]; Ok otherwise (a count of 0 is valid: no lines).
Status validate(const GenOptions& options);

/// Returns problems of the generator's tool mix against sever::catalog, one message each:
/// profiles for tools the catalog lacks, catalog tools without a profile. Empty when in step.
std::vector<std::string> check_tool_mix();

/// Produces the lines one at a time. Not thread-safe; cheap to move.
class Generator {
 public:
  /// Prepares a run. Options should pass validate(); out-of-range values are clamped.
  explicit Generator(const GenOptions& options);
  ~Generator();
  Generator(Generator&&) noexcept;
  Generator& operator=(Generator&&) noexcept;

  /// Replaces *line with the next line (no trailing newline) and returns true, or returns false
  /// once `count` lines have been produced.
  bool next(std::string* line);

  /// Appends the next line and a '\n' to *out and returns true, or returns false once `count`
  /// lines have been produced. The fast path for writing in bulk.
  bool append_next(std::string* out);

  /// Returns the number of lines produced so far.
  uint64_t produced() const;

  /// Returns the number of tenants lines are drawn from.
  uint32_t tenant_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Writes options.count lines, each ending in '\n', to out, in 1 MiB writes. InvalidArgument
/// for options that fail validate(); IoError if the stream fails.
Status generate(const GenOptions& options, std::ostream& out);

}  // namespace sever::load
