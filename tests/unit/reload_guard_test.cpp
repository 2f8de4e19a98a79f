// reload_objection(): a reload that would apply an empty or cut-off file, or
// disconnect connected guests, is refused unless the operator says so.
#include <gtest/gtest.h>

#include "reload_guard.hpp"

namespace vsw {
namespace {

const char* kRunning = R"(
networks:
  lab: {mode: internal}
  other: {mode: internal}
ports:
  vm1: {network: lab}
  vm2: {network: lab}
  vm3: {network: other, socket: /tmp/vm3.sock, client: true}
)";

Config load(const std::string& text) {
    auto c = load_config_string(text, "vsw.yaml");
    EXPECT_TRUE(c) << (c ? "" : c.error().to_string());
    return c ? *c : Config{};
}

TEST(ReloadGuard, EmptyFileIsRefusedUnlessAllowed) {
    const Config running = load(kRunning);
    const Config empty = load("");
    auto why = reload_objection(running, empty, {}, {});
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("declares no networks"), std::string::npos) << *why;
    EXPECT_NE(why->find("would remove 2 network(s) and 3 port(s)"), std::string::npos) << *why;
    EXPECT_NE(why->find("--allow-empty"), std::string::npos) << *why;
    EXPECT_FALSE(reload_objection(running, empty, {}, {.allow_empty = true}));
    // A file with only comments, or only a switch section, is just as empty.
    EXPECT_TRUE(reload_objection(running, load("# nothing yet\nswitch: {mac_aging: 30}\n"), {}, {}));
}

TEST(ReloadGuard, EmptyToEmptyIsFine) {
    EXPECT_FALSE(reload_objection(load(""), load(""), {}, {}));
}

TEST(ReloadGuard, CutOffFileThatDropsConnectedPortsIsRefusedUnlessForced) {
    const Config running = load(kRunning);
    // The same file cut after vm1's line: vm2 and vm3 are gone.
    std::string text = kRunning;
    text = text.substr(0, text.find("  vm2:"));
    const Config cut = load(text);
    auto why = reload_objection(running, cut, {"vm1", "vm2", "vm3"}, {});
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("2 connected guest port(s): vm2 (removed), vm3 (removed)"), std::string::npos) << *why;
    EXPECT_NE(why->find("--force"), std::string::npos) << *why;
    EXPECT_FALSE(reload_objection(running, cut, {"vm1", "vm2", "vm3"}, {.force = true}));
    // Ports without a guest may go without asking.
    EXPECT_FALSE(reload_objection(running, cut, {"vm1"}, {}));
}

TEST(ReloadGuard, SocketChangeOfAConnectedPortCountsAsDisconnecting) {
    const Config running = load(kRunning);
    std::string text = kRunning;
    text.replace(text.find("client: true"), 12, "client: false");
    auto why = reload_objection(running, load(text), {"vm3"}, {});
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("vm3 (socket changes)"), std::string::npos) << *why;
}

TEST(ReloadGuard, ChangesThatKeepGuestsConnectedPass) {
    const Config running = load(kRunning);
    std::string text = kRunning;
    text.replace(text.find("vm2: {network: lab}"), 19, "vm2: {network: other}");
    text += "  vm4: {network: lab}\n";
    EXPECT_FALSE(reload_objection(running, load(text), {"vm1", "vm2", "vm3"}, {}));
}

}  // namespace
}  // namespace vsw
