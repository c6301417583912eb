// The requests sever sends for a generated store, built outside sever: the bare libcurl
// baseline of bench-revoke sends exactly these, so it measures the HTTP library on the same
// URLs, headers and bodies, against the same fake provider endpoints.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sever/load/generator.h"
#include "sever/providers/http.h"
#include "sever/store/status.h"

namespace sever::load {

/// Regenerates the credentials of `gen` (the options the store was generated with) and builds,
/// for each, the request its tool's adapter sends under the providers file `providers_json`
/// (its text; client secrets from the environment, as sever reads them). Credentials an
/// adapter does not revoke through an API (manual ones) get no request. Returns the requests
/// in generation order, or the first error (a bad providers file, a generator line that does
/// not parse), naming it.
Result<std::vector<providers::HttpRequest>> same_requests(const GenOptions& gen,
                                                          const std::string& providers_json);

}  // namespace sever::load
