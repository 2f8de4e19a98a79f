// Helpers shared by the YAML loader's tests (config_test.cpp: the switch,
// host-only and internal networks; config_nat_test.cpp: NAT and uplinks).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "../../control/config/config.hpp"

namespace vsw {

inline Ipv4 ip(const char* text) { return *Ipv4::parse(text); }
inline Mac mac(const char* text) { return *Mac::parse(text); }

inline Config load_ok(const std::string& yaml) {
    auto c = load_config_string(yaml, "test.yaml");
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? *c : Config{};
}

// A file that must be refused: where, which key, and part of the message.
struct BadCase {
    std::string name;
    std::string yaml;
    int line;
    int column;  // 0: not checked
    std::string key;
    std::string message;  // substring
};

// A host-only network `h` with the given extra lines (indented 4) under it.
inline std::string hostonly(const std::string& extra) {
    return "networks:\n"
           "  h:\n"
           "    mode: host-only\n"
           "    subnet: 192.168.56.0/24\n" +
           extra;
}

// Parameterized over BadCase lists; each test file instantiates its own list.
class ConfigBad : public ::testing::TestWithParam<BadCase> {};

}  // namespace vsw
