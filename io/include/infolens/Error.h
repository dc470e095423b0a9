#pragma once

#include <stdexcept>
#include <string>

namespace infolens {

// Every failure the user can cause (bad file, bad prompt, tampered model) is reported with this
// type or one of its kinds, so that front ends can show the message as is instead of crashing.
class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A file is not what it claims to be (corrupt image, malformed session or NPY): try another file.
class FormatError : public Error {
  public:
    using Error::Error;
};

// A model's weights, configuration or manifest are unusable: this model is broken.
class ModelError : public Error {
  public:
    using Error::Error;
};

// The operating system refused a read or write (missing file, permissions, full disk).
class IoError : public Error {
  public:
    using Error::Error;
};

// Thrown when a computation was asked to stop; not a failure to report to the user.
class Cancelled : public Error {
  public:
    using Error::Error;
};

}  // namespace infolens
