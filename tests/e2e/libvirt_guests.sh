#!/bin/bash
# libvirt, as Debian runs it: a real libvirtd (and virtlogd) started by the
# test when none is running (this machine has no systemd), QEMU run by
# libvirt as libvirt-qemu, vswd with switch.socket_group: libvirt-qemu. Two
# TCG domains boot the test guest's kernel directly, each with an
# <interface type='vhostuser'> on a host-only network:
#   lv1: mode='client' with <reconnect enabled='yes' timeout='1'/> (vswd's socket)
#   lv2: mode='server' (QEMU's socket; the vswd port has client: true)
# Both take a DHCP lease and ping the host. Then vswd is stopped and started
# again: both domains' NICs come back (the host pings both guests) while the
# same QEMU processes run on, without a VM restart. The interface XML is the
# README's.
source "$(dirname "$0")/lib.sh"

command -v libvirtd > /dev/null || { echo "SKIP: libvirtd is not installed"; exit 77; }
id libvirt-qemu > /dev/null 2>&1 || fail "no libvirt-qemu user (libvirt-daemon-system makes it)"
VIRSH=(virsh -q -c qemu:///system)

# A running libvirtd (a host with systemd) is used as it is; else the test
# runs its own and stops it at the end.
DAEMONS_STOP=()
if ! "${VIRSH[@]}" version > /dev/null 2>&1; then
    if ! pgrep -x virtlogd > /dev/null; then
        virtlogd -d -p "$WORK/virtlogd.pid"
        DAEMONS_STOP+=("kill \$(cat $WORK/virtlogd.pid)")
    fi
    libvirtd -d -p "$WORK/libvirtd.pid"
    for _ in $(seq 100); do "${VIRSH[@]}" version > /dev/null 2>&1 && break; sleep 0.1; done
    "${VIRSH[@]}" version > /dev/null 2>&1 || fail "libvirtd did not come up"
    DAEMONS_STOP=("kill \$(cat $WORK/libvirtd.pid)" "${DAEMONS_STOP[@]}")
fi

chmod 0755 "$WORK"
LV=$WORK/libvirt          # what QEMU (libvirt-qemu) writes: consoles, lv2's socket
mkdir -m 0750 "$LV" && chown libvirt-qemu:libvirt-qemu "$LV"

{ switch_yaml; cat <<YAML
  socket_group: libvirt-qemu
networks:
  hostonly0:
    mode: host-only
    subnet: 192.168.56.0/24
    host_interface: {name: $HOSTIF, address: 192.168.56.1, netns: $NETNS}
    dhcp: {}
ports:
  lv1: {network: hostonly0}
  lv2: {network: hostonly0, client: true, socket: $LV/lv2.sock}
YAML
} > "$CONFIG"
start_vswd

cat > "$WORK/guest.sh" <<'G'
ping -c 3 -W 2 192.168.56.1 || { echo GUEST-NO-HOST; exit 1; }
echo GUEST-OK
sleep 600
G
boot=$("$VM_SH" --print-boot --nic "x,52:54:00:00:00:31,dhcp" --script "$WORK/guest.sh") || fail "vm.sh --print-boot"
kernel=$(sed -n 's/^KERNEL=//p' <<< "$boot") initrd=$(sed -n 's/^INITRD=//p' <<< "$boot")
append=$(sed -n 's/^APPEND=//p' <<< "$boot")
cp "$kernel" "$WORK/vmlinuz" && cp "$initrd" "$WORK/initrd.gz"

# domain NAME MAC SOURCE_XML: a direct-kernel-boot TCG domain with one
# vhost-user NIC. vectors=0 (no MSI-X) on the NIC, as vm.sh does: Debian's
# QEMU 7.2 under TCG crashes when a vhost-user device starts with MSI-X.
domain() {
    cat <<XML
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$1</name>
  <memory unit='MiB'>256</memory>
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$WORK/vmlinuz</kernel>
    <initrd>$WORK/initrd.gz</initrd>
    <cmdline>$append</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <devices>
    <interface type='vhostuser'>
      <mac address='$2'/>
      $3
      <model type='virtio'/>
      <rom enabled='no'/>
      <alias name='ua-net0'/>
    </interface>
    <serial type='file'><source path='$LV/$1.console'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
  <qemu:override>
    <qemu:device alias='ua-net0'>
      <qemu:frontend><qemu:property name='vectors' type='unsigned' value='0'/></qemu:frontend>
    </qemu:device>
  </qemu:override>
</domain>
XML
}
DOM1="vswlv${UID_}a" DOM2="vswlv${UID_}b"
CLEANUP_HOOKS+=("virsh -q -c qemu:///system destroy $DOM1" "virsh -q -c qemu:///system undefine $DOM1"
                "virsh -q -c qemu:///system destroy $DOM2" "virsh -q -c qemu:///system undefine $DOM2")
# Hooks run in order: the domains go first, then their logs, then the daemons the test started.
CLEANUP_HOOKS+=("rm -f /var/log/libvirt/qemu/$DOM1.log /var/log/libvirt/qemu/$DOM2.log" "${DAEMONS_STOP[@]}")
domain "$DOM1" 52:54:00:00:00:31 "<source type='unix' path='$WORK/run/lv1.sock' mode='client'>
        <reconnect enabled='yes' timeout='1'/>
      </source>" > "$WORK/$DOM1.xml"
domain "$DOM2" 52:54:00:00:00:32 "<source type='unix' path='$LV/lv2.sock' mode='server'/>" > "$WORK/$DOM2.xml"
for d in "$DOM1" "$DOM2"; do
    "${VIRSH[@]}" define "$WORK/$d.xml" > /dev/null || fail "virsh define $d"
    "${VIRSH[@]}" start "$d" > "$WORK/$d.start" 2>&1 || { cat "$WORK/$d.start" /var/log/libvirt/qemu/$d.log; fail "virsh start $d"; }
done
log "domains $DOM1 (mode=client) and $DOM2 (mode=server) started"

wait_console() {  # DOMAIN PATTERN SECONDS
    for _ in $(seq $(($3 * 10))); do
        grep -q "$2" "$LV/$1.console" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$LV/$1.console" 2>/dev/null | tail -20
    fail "$1: no '$2' on its console within $3 s"
}
wait_console "$DOM1" GUEST-OK 120
wait_console "$DOM2" GUEST-OK 120
for d in "$DOM1" "$DOM2"; do
    pid=$(cat "/run/libvirt/qemu/$d.pid")
    [ "$(ps -o user= -p "$pid")" = libvirt-qemu ] || fail "$d's QEMU runs as $(ps -o user= -p "$pid")"
done
ip_of() { vswctl --json leases | json_get "[l['ip'] for l in d['data'] if l['mac']=='$1'][0]"; }
ip1=$(ip_of 52:54:00:00:00:31) ip2=$(ip_of 52:54:00:00:00:32)
log "leases: $DOM1 $ip1, $DOM2 $ip2; both pinged the host; QEMU runs as libvirt-qemu"

# vswd restarts; the domains stay up and their NICs come back.
qemu1=$(cat "/run/libvirt/qemu/$DOM1.pid") qemu2=$(cat "/run/libvirt/qemu/$DOM2.pid")
kill "$VSWD_PID"; wait "$VSWD_PID" 2>/dev/null || true
start_vswd
for ip in "$ip1" "$ip2"; do
    ok=0
    for _ in $(seq 30); do in_host ping -c 1 -W 1 "$ip" > /dev/null 2>&1 && { ok=1; break; }; done
    [ "$ok" = 1 ] || fail "guest $ip does not answer after vswd restarted"
done
[ "$(cat "/run/libvirt/qemu/$DOM1.pid")" = "$qemu1" ] && [ "$(cat "/run/libvirt/qemu/$DOM2.pid")" = "$qemu2" ] ||
    fail "a domain was restarted"
log "PASS: after a vswd restart both guests answer the host, same QEMU processes ($qemu1, $qemu2)"
