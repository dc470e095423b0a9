#pragma once

#include "infolens/Error.h"

namespace infolens::cli {

// A command called the wrong way (a missing or contradictory option): exit code 2, where a failure
// while running (bad file, bad model) is 1.
class UsageError : public Error {
  public:
    using Error::Error;
};

// Each takes the arguments after the subcommand name and returns the process exit code.
int checkGaussianCommand(int argc, char** argv);
int mapsCommand(int argc, char** argv);
int benchEstimatorCommand(int argc, char** argv);
int shapesCommand(int argc, char** argv);
int generateCommand(int argc, char** argv);
int invertCommand(int argc, char** argv);
int evalCommand(int argc, char** argv);
int benchThroughputCommand(int argc, char** argv);
int benchLatencyCommand(int argc, char** argv);
int interveneCommand(int argc, char** argv);
int interveneEvalCommand(int argc, char** argv);
int tokenizeCommand(int argc, char** argv);
int predictCommand(int argc, char** argv);
int encodeCommand(int argc, char** argv);
int decodeCommand(int argc, char** argv);
int batchCommand(int argc, char** argv);
int benchBatchCommand(int argc, char** argv);
int soakCommand(int argc, char** argv);
int imageFitCommand(int argc, char** argv);

}  // namespace infolens::cli
