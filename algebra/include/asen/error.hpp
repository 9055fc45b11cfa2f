#pragma once
/// \file
/// The exception types every asen layer throws.
///
/// All of them derive from asen::Error, so one `catch (const asen::Error&)`
/// catches everything asen reports. The split matters to the faces: the CLI
/// exits with status 2 for an InputError (the user's input was wrong) and 1
/// for anything else; Python raises ValueError for an InputError and
/// RuntimeError for the rest.

#include <stdexcept>
#include <string>

namespace asen {

/// Base of every asen exception: a backend or internal failure.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// The caller's input is wrong: a malformed string, a point out of range,
/// an unknown name, a request above a configured limit.
class InputError : public Error {
 public:
  explicit InputError(const std::string& what) : Error(what) {}
};

/// A request needs more memory or more elements than the configured limit.
class LimitError : public InputError {
 public:
  explicit LimitError(const std::string& what) : InputError(what) {}
};

/// GAP evaluated the request and raised an error; the message is GAP's text.
class GapError : public InputError {
 public:
  explicit GapError(const std::string& what) : InputError(what) {}
};

}  // namespace asen
