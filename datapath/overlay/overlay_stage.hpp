// The VXLAN stage of a worker: frames of an overlay network to and from the
// remote hosts that share it (networks.X.overlay).
//
// To a remote: the switching stage found the destination MAC behind a
// remote VTEP (to_vtep), or floods the frame (replicate: a copy to every
// remote, "head-end replication"). The frame gets its VTEP's outer headers
// (a template the control thread built, overlay/vxlan.hpp) and leaves on the
// uplink. From a remote: from_uplink takes the VXLAN frames out of an
// uplink's burst, checks them, strips the outer headers and returns the
// inner frames, which the switching stage learns (behind their VTEP) and
// delivers to local ports only (split horizon: a full mesh of remotes
// never relays between them).
//
// Like the NAT stage it reaches the rest of the datapath only through Exits.
#pragma once

#include <cstdint>

#include "../datapath_shared.hpp"
#include "../exits.hpp"

struct rte_mbuf;

namespace vsw {

// Inner frames from remote VTEPs, to be switched inside their networks.
struct FromRemotes {
    rte_mbuf* pkts[kBurst];
    uint16_t networks[kBurst];
    uint16_t vteps[kBurst];
    uint16_t n = 0;
};

class OverlayStage {
public:
    OverlayStage(DatapathShared& shared, uint16_t worker, Exits& exits);

    // Takes the VXLAN frames (UDP 4789 to the uplink's address) out of a
    // burst received on uplink port `in_port`: the good ones decapsulated
    // into `out`, the rest dropped and counted. Returns how many frames are
    // left at the front of `pkts`, in order, for the NAT stage.
    uint16_t from_uplink(const Topology& topo, uint16_t in_port, rte_mbuf** pkts, uint16_t n, FromRemotes& out);

    // A frame of overlay network `network` (from local port `in_port`) to the
    // remote VTEP `vtep`: encapsulated and sent on the uplink (consumed).
    void to_vtep(const Topology& topo, uint16_t network, uint16_t vtep, uint16_t in_port, rte_mbuf* m);

    // Copies of a flooded frame to every remote VTEP of `network`. `m` is
    // left as it was (the caller floods it to the local ports). Returns how
    // many copies left.
    uint16_t replicate(const Topology& topo, uint16_t network, uint16_t in_port, rte_mbuf* m);

private:
    // Prepends the VTEP's outer headers to `m` (whose data is the inner
    // frame) and queues it on the uplink; false (nothing done) when `m` has
    // no room in front or is shared.
    bool encapsulate(const Topology& topo, const OverlaySlot& ov, const VtepSlot& v, uint16_t network, rte_mbuf* m);
    // Why a frame cannot go to `v` now (uplink down, next hop unknown, too
    // big), or DropReason::count when it can.
    DropReason cannot_send(const Topology& topo, const OverlaySlot& ov, const VtepSlot& v, const rte_mbuf* m) const;
    void drop(rte_mbuf* m, uint16_t port, DropReason reason) { exits_.drop(m, port, reason); }

    DatapathShared& shared_;
    WorkerCounters& ctr_;
    Exits& exits_;
};

}  // namespace vsw
