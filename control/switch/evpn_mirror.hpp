// EVPN (RFC 7432 / RFC 8365) through FRR, for a VXLAN overlay network with
// `evpn`: vsw writes no BGP. FRR's zebra learns a VNI's local MACs from a
// Linux bridge with a vxlan device in it and installs the remote ones (and
// the remote VTEPs) into that vxlan device's forwarding database; bgpd
// carries them as type-2 (MAC/IP) and type-3 (inclusive multicast) routes.
// So vswd keeps a kernel *mirror* of the network where FRR runs:
//
//   bridge vswb<vni> --- vxlan vswx<vni> (id <vni>, local <uplink address>,
//                    |                     dstport 4789, nolearning)
//                    `-- veth vswl<vni> (peer vswq<vni>, both up)
//
// It carries no traffic (vsw's datapath does); it only holds entries:
//   - vsw -> FRR: each MAC vsw learned on a local port of the network is a
//     static entry on vswl<vni> (`bridge fdb replace MAC dev vswl<vni>
//     master static`), which zebra advertises as a type-2 route;
//   - FRR -> vsw: zebra puts `00:00:00:00:00:00 dst VTEP` (a type-3 route: a
//     remote in the flood list) and `MAC dst VTEP` (type-2) on vswx<vni>;
//     vswd reads them every second and makes them its remotes and static
//     remote MACs.
// Reading FRR's own kernel interface this way needs no FRR API, works with
// the FRR Debian ships (8.4) and with any other EVPN speaker that drives
// Linux's VXLAN FDB the same way. See README "EVPN through FRR".
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "../../common/addr.hpp"

namespace vsw {

struct EvpnMirrorNames {
    std::string bridge, vxlan, port, peer;  // vswb<vni>, vswx<vni>, vswl<vni>, vswq<vni>
};
EvpnMirrorNames evpn_mirror_names(uint32_t vni);

// What FRR installed on the mirror's vxlan device.
struct EvpnRemoteState {
    std::set<Ipv4> vteps;                     // type-3 routes: the remote VTEPs
    std::vector<std::pair<Mac, Ipv4>> macs;   // type-2 routes: a MAC behind a VTEP
};
// From the output of `bridge -j fdb show dev <vxlan>`: entries with a `dst`
// (unicast IPv4) only; the bridge's own entries on the device are ignored.
tl::expected<EvpnRemoteState, std::string> parse_evpn_fdb(const std::string& json_text);

// `bridge -batch` lines that take the static entries on `port` from `had`
// to `wanted`.
std::string local_mac_batch(const std::string& port, const std::set<Mac>& had, const std::set<Mac>& wanted);

// The mirror of one network (control thread only).
class EvpnMirror {
public:
    // Makes the devices in `netns` ("" = vswd's), after removing any a
    // vswd that stopped left behind.
    static tl::expected<EvpnMirror, std::string> create(const std::string& netns, uint32_t vni, Ipv4 local);
    // Removes the devices (and so FRR's routes for the VNI).
    void destroy();

    tl::expected<EvpnRemoteState, std::string> read_remotes() const;
    // Makes the local entries equal `macs` (only the difference is written,
    // and now and then everything again).
    tl::expected<void, std::string> set_local_macs(const std::set<Mac>& macs);

    const std::string& netns() const { return netns_; }
    uint32_t vni() const { return vni_; }
    Ipv4 local() const { return local_; }

private:
    std::string netns_;
    uint32_t vni_ = 0;
    Ipv4 local_;
    EvpnMirrorNames names_;
    std::set<Mac> written_;
    uint64_t calls_ = 0;
};

}  // namespace vsw
