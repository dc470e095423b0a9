#pragma once

namespace infolens::cli {

// Each takes the arguments after the subcommand name and returns the process exit code.
int checkGaussianCommand(int argc, char** argv);
int mapsCommand(int argc, char** argv);
int benchEstimatorCommand(int argc, char** argv);

}  // namespace infolens::cli
