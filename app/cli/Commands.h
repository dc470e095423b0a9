#pragma once

namespace infolens::cli {

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

}  // namespace infolens::cli
