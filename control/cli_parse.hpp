// Command-line parsing for vswd and vswctl with the usual conventions:
// --help and --version print and exit 0; a usage error prints one line and a
// hint and exits 2 (CLI11's own exit codes, 105-114, do not leak out).
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <optional>
#include <string>

namespace vsw {

inline constexpr int kUsageError = 2;

// nullopt: parsed, go on; otherwise the exit code.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
        return std::nullopt;
    } catch (const CLI::Success& e) {  // --help, --version
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        const std::string name = argc > 0 ? std::string(argv[0]) : app.get_name();
        fmt::print(stderr, "{}: {}\nRun '{} --help' for usage.\n", name.substr(name.rfind('/') + 1), e.what(),
                   name.substr(name.rfind('/') + 1));
        return kUsageError;
    }
}

}  // namespace vsw
