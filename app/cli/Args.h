#pragma once

#include <map>
#include <string>
#include <vector>

namespace infolens::cli {

struct OptionSpec {
    std::string name;       // without the leading "--"
    std::string valueName;  // empty for flags
    std::string help;
    std::string defaultValue;  // shown in --help; empty when none
};

// A subcommand's options: "--name value" or "--flag". Unknown options, missing values and
// malformed numbers are errors that name the option.
class Args {
  public:
    Args(std::string command, std::string summary, std::vector<OptionSpec> options);

    // Returns false when --help was asked for (the help has been printed).
    bool parse(int argc, char** argv);
    std::string help() const;

    bool has(const std::string& name) const;
    std::string text(const std::string& name) const;
    int integer(const std::string& name, int min, int max) const;
    std::uint64_t unsignedInteger(const std::string& name) const;
    double real(const std::string& name) const;
    bool flag(const std::string& name) const { return has(name); }
    void require(const std::string& name) const;

  private:
    const OptionSpec* find(const std::string& name) const;
    std::string m_command;
    std::string m_summary;
    std::vector<OptionSpec> m_options;
    std::map<std::string, std::string> m_values;
};

}  // namespace infolens::cli
