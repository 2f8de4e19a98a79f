// prometheus_text(): vswd's stats JSON in Prometheus' text format.
#include <gtest/gtest.h>

#include "../../control/metrics.hpp"
#include "../../control/metrics_server.hpp"

namespace vsw {
namespace {

const char* kStats = R"({
  "ports": {
    "vm1": {"network": "natnet0", "rx_packets": 10, "rx_bytes": 640, "tx_packets": 9, "tx_bytes": 576,
            "to_slow_path": 2, "drops_total": 3, "drops": {"runt": 1, "mac_limit": 2},
            "queues": [{"queue": 0, "worker": 0, "rx_packets": 6}, {"queue": 1, "worker": 1, "rx_packets": 4}]},
    "odd\"name": {"rx_packets": 1, "rx_bytes": 1, "tx_packets": 0, "tx_bytes": 0, "to_slow_path": 0,
                  "drops_total": 0, "drops": {}}
  },
  "workers": [{"worker": 0, "rounds": 100, "busy_rounds": 7, "idle_sleeps": 50, "nat_in2out": 4, "nat_out2in": 3,
               "nat_sessions_created": 2, "nat_sessions_expired": 1, "nat_handoffs": 0}],
  "nat": {"natnet0": {"sessions": 1, "uplink": "wan", "epoch": 0}},
  "dhcp": {"natnet0": {"leases": 1, "discover": 1, "offer": 1, "request": 1, "ack": 1, "nak": 0}},
  "overlay": {"stretch": {"vni": 5001, "remotes": 2, "encap_packets": 7, "encap_bytes": 700, "replicated": 2,
                          "decap_packets": 6, "decap_bytes": 600}},
  "fdb": {"entries": 5, "full": 0}
})";

TEST(Metrics, PrometheusText) {
    const std::string t = prometheus_text(nlohmann::json::parse(kStats));
    auto has = [&](const std::string& line) { return t.find(line + "\n") != std::string::npos; };
    EXPECT_TRUE(has("# TYPE vsw_port_rx_packets_total counter")) << t;
    EXPECT_TRUE(has("vsw_port_rx_packets_total{port=\"vm1\",network=\"natnet0\"} 10")) << t;
    EXPECT_TRUE(has("vsw_port_drops_total{port=\"vm1\",network=\"natnet0\",reason=\"mac_limit\"} 2")) << t;
    EXPECT_TRUE(has("vsw_port_rx_packets_total{port=\"odd\\\"name\",network=\"\"} 1")) << t;  // escaped
    EXPECT_TRUE(has("vsw_port_rx_queue_packets_total{port=\"vm1\",network=\"natnet0\",queue=\"1\",worker=\"1\"} 4")) << t;
    EXPECT_TRUE(has("vsw_nat_packets_total{worker=\"0\",direction=\"out2in\"} 3")) << t;
    EXPECT_TRUE(has("# TYPE vsw_nat_sessions gauge")) << t;
    EXPECT_TRUE(has("vsw_nat_sessions{network=\"natnet0\",uplink=\"wan\"} 1")) << t;
    EXPECT_TRUE(has("vsw_dhcp_leases{network=\"natnet0\"} 1")) << t;
    EXPECT_TRUE(has("vsw_dhcp_messages_total{network=\"natnet0\",kind=\"ack\"} 1")) << t;
    EXPECT_TRUE(has("vsw_fdb_entries 5")) << t;
    EXPECT_TRUE(has("vsw_overlay_packets_total{network=\"stretch\",vni=\"5001\",direction=\"decap\"} 6")) << t;
    EXPECT_TRUE(has("vsw_overlay_flood_copies_total{network=\"stretch\",vni=\"5001\"} 2")) << t;
    EXPECT_TRUE(has("vsw_overlay_remotes{network=\"stretch\",vni=\"5001\"} 2")) << t;
    // Each metric's HELP and TYPE once, before its samples.
    size_t n = 0;
    for (size_t at = t.find("# TYPE vsw_port_rx_packets_total "); at != std::string::npos;
         at = t.find("# TYPE vsw_port_rx_packets_total ", at + 1))
        ++n;
    EXPECT_EQ(n, 1u);
    EXPECT_LT(t.find("# HELP vsw_port_drops_total"), t.find("vsw_port_drops_total{"));
}

TEST(Metrics, HttpResponses) {
    auto body = [] { return std::string("vsw_fdb_entries 5\n"); };
    const std::string ok = metrics_http_response("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", body);
    EXPECT_EQ(ok.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << ok;
    EXPECT_NE(ok.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << ok;
    EXPECT_NE(ok.find("Content-Length: 18\r\n"), std::string::npos) << ok;
    EXPECT_EQ(ok.substr(ok.size() - 18), "vsw_fdb_entries 5\n");
    EXPECT_EQ(metrics_http_response("GET /other HTTP/1.1\r\n\r\n", body).rfind("HTTP/1.0 404", 0), 0u);
    EXPECT_EQ(metrics_http_response("POST /metrics HTTP/1.1\r\n\r\n", body).rfind("HTTP/1.0 405", 0), 0u);
    EXPECT_EQ(metrics_http_response("", body).rfind("HTTP/1.0 400", 0), 0u);
    EXPECT_EQ(metrics_http_response("garbage", body).rfind("HTTP/1.0 400", 0), 0u);
}

TEST(Metrics, MissingSectionsAreLeftOut) {
    EXPECT_EQ(prometheus_text(nlohmann::json::object()), "");
}

}  // namespace
}  // namespace vsw
