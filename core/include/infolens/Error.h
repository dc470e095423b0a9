#pragma once

#include <stdexcept>
#include <string>

namespace infolens {

// Every failure the user can cause (bad file, bad prompt, tampered model) is reported with this
// type so that front ends can show the message as is instead of crashing.
class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Thrown when a computation was asked to stop; not a failure to report to the user.
class Cancelled : public Error {
  public:
    using Error::Error;
};

}  // namespace infolens
