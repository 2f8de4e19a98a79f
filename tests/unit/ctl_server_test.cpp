// The control socket's access rules (may_run) and the credentials it reads
// from a real connection (SO_PEERCRED, SO_PEERGROUPS).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "../../control/ctl_server.hpp"

namespace vsw {
namespace {

CtlPeer peer(uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
    CtlPeer p;
    p.uid = uid;
    p.gid = gid;
    p.groups = std::move(groups);
    return p;
}

TEST(CtlAccess, RootRunsEverything) {
    EXPECT_TRUE(may_run("reload", peer(0, 0), std::nullopt));
    EXPECT_TRUE(may_run("stats", peer(0, 0), 4242));
}

TEST(CtlAccess, OthersReadButReloadOnlyInTheAdminGroup) {
    const CtlPeer member = peer(1000, 1000, {64055});
    EXPECT_TRUE(may_run("show", member, std::nullopt));
    EXPECT_TRUE(may_run("sessions", member, std::nullopt));
    EXPECT_FALSE(may_run("reload", member, std::nullopt));  // no admin group: root only
    EXPECT_FALSE(may_run("reload", member, 4242));
    EXPECT_TRUE(may_run("reload", member, 64055));                    // a supplementary group
    EXPECT_TRUE(may_run("reload", peer(1000, 4242), 4242));            // the primary group
    EXPECT_FALSE(may_run("reload", CtlPeer{}, 4242));                  // credentials unknown
}

TEST(CtlServer, HandlerSeesTheCallersCredentials) {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("vsw-ctl-test-" + std::to_string(getpid()) + ".sock")).string();
    CtlPeer seen;
    auto server = CtlServer::listen(path, [&](const nlohmann::json& req, const CtlPeer& p) -> nlohmann::json {
        seen = p;
        return {{"ok", true}, {"echo", req.value("cmd", "")}};
    });
    ASSERT_TRUE(server) << server.error();
    std::thread client_thread;
    tl::expected<nlohmann::json, std::string> answer = tl::unexpected(std::string("not run"));
    client_thread = std::thread([&] { answer = ctl_request(path, {{"cmd", "show"}}); });
    for (int i = 0; i < 200 && seen.uid == static_cast<uid_t>(-1); ++i) {
        server->serve_pending();
        usleep(5000);
    }
    client_thread.join();
    ASSERT_TRUE(answer) << answer.error();
    EXPECT_EQ((*answer)["echo"], "show");
    EXPECT_EQ(seen.uid, getuid());
    EXPECT_EQ(seen.gid, getgid());
    std::vector<gid_t> mine(static_cast<size_t>(getgroups(0, nullptr)));
    mine.resize(static_cast<size_t>(getgroups(static_cast<int>(mine.size()), mine.data())));
    for (gid_t g : mine) EXPECT_TRUE(seen.in_group(g)) << "group " << g;
}

}  // namespace
}  // namespace vsw
