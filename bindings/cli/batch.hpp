#pragma once
// `--batch FILE`: one group per input line, one JSON line out per input line.
//
// Input lines are JSON objects, either
//   {"spec": "D(10)", "degree": 12}                      degree optional
//   {"generators": [[1,0,2], "(1,2,3)"], "degree": 3}    degree optional
// where a generator is a 0-based image list or a string in GAP cycle
// notation (1-based). An "id" member is echoed. Every output object starts
// with "line" (1-based); a bad line gives {"line": k, "error": "..."}.

#include "output.hpp"

#include <asen/algebra/perm_group.hpp>

#include <functional>
#include <iosfwd>
#include <string>

namespace asen::cli {

/// The group a batch request asks for.
/// \throws InputError saying which member is missing or wrong; whatever
/// PermGroup::parse throws for a bad spec.
algebra::PermGroup group_from_request(const Json& request);

/// What a subcommand does with one group of a batch.
using BatchHandler = std::function<JsonReply(const algebra::PermGroup&)>;

/// Reads `path` ("-": standard input) line by line and writes one JSON line
/// per input line to `out`, flushed after each. Errors on a line are
/// reported on that line's output and processing continues.
/// \returns kExitOk once the whole input was read.
/// \throws InputError if the file cannot be opened; asen::Error if reading
/// fails midway.
int run_batch(const std::string& path, const BatchHandler& handler, std::ostream& out);

}  // namespace asen::cli
