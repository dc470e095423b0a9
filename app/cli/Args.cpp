#include "Args.h"

#include <iostream>
#include <sstream>

#include "infolens/Error.h"

namespace infolens::cli {

Args::Args(std::string command, std::string summary, std::vector<OptionSpec> options)
    : m_command(std::move(command)), m_summary(std::move(summary)), m_options(std::move(options)) {}

const OptionSpec* Args::find(const std::string& name) const {
    for (const OptionSpec& o : m_options) {
        if (o.name == name)
            return &o;
    }
    return nullptr;
}

bool Args::parse(int argc, char** argv) {
    for (int i = 0; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << help();
            return false;
        }
        if (arg.rfind("--", 0) != 0)
            throw Error(m_command + ": unexpected argument '" + arg + "' (see --help)");
        std::string name = arg.substr(2), value;
        const auto eq = name.find('=');
        const bool inlineValue = eq != std::string::npos;
        if (inlineValue) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const OptionSpec* spec = find(name);
        if (!spec)
            throw Error(m_command + ": unknown option --" + name + " (see --help)");
        if (!spec->valueName.empty() && !inlineValue) {
            if (i + 1 >= argc)
                throw Error(m_command + ": --" + name + " needs a value");
            value = argv[++i];
        }
        m_values[name] = value;
    }
    for (const OptionSpec& o : m_options) {
        if (!m_values.count(o.name) && !o.defaultValue.empty() && !o.valueName.empty()) {
            m_values[o.name] = o.defaultValue;
        }
    }
    return true;
}

std::string Args::help() const {
    std::ostringstream out;
    // A command name that is a program of its own ("infolens-train") is printed as is.
    const bool program = m_command.rfind("infolens-", 0) == 0;
    out << "usage: " << (program ? "" : "infolens-cli ") << m_command << " [options]\n\n"
        << m_summary << "\n\noptions:\n";
    for (const OptionSpec& o : m_options) {
        std::string left = "  --" + o.name + (o.valueName.empty() ? "" : " " + o.valueName);
        out << left << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << o.help;
        if (!o.defaultValue.empty())
            out << " (default: " << o.defaultValue << ")";
        out << "\n";
    }
    out << "  --help                    show this help\n";
    return out.str();
}

bool Args::has(const std::string& name) const {
    return m_values.count(name) > 0;
}

void Args::require(const std::string& name) const {
    if (!has(name))
        throw Error(m_command + ": --" + name + " is required (see --help)");
}

std::string Args::text(const std::string& name) const {
    require(name);
    return m_values.at(name);
}

int Args::integer(const std::string& name, int min, int max) const {
    const std::string value = text(name);
    std::size_t used = 0;
    long parsed = 0;
    try {
        parsed = std::stol(value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != value.size() || value.empty())
        throw Error(m_command + ": --" + name + " expects an integer, got '" + value + "'");
    if (parsed < min || parsed > max) {
        throw Error(m_command + ": --" + name + " must be between " + std::to_string(min) +
                    " and " + std::to_string(max));
    }
    return static_cast<int>(parsed);
}

std::uint64_t Args::unsignedInteger(const std::string& name) const {
    const std::string value = text(name);
    std::size_t used = 0;
    std::uint64_t parsed = 0;
    try {
        parsed = std::stoull(value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != value.size() || value.empty() || value[0] == '-') {
        throw Error(m_command + ": --" + name + " expects a non-negative integer, got '" + value +
                    "'");
    }
    return parsed;
}

double Args::real(const std::string& name) const {
    const std::string value = text(name);
    std::size_t used = 0;
    double parsed = 0;
    try {
        parsed = std::stod(value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != value.size() || value.empty())
        throw Error(m_command + ": --" + name + " expects a number, got '" + value + "'");
    return parsed;
}

}  // namespace infolens::cli
