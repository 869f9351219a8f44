# Sourced by cluster.sh and pg-ha.sh (not run on its own): one host of the cluster's private
# network. Needs NET (ball<N>) and a die function from the script that sources it.

# Namespace $1 joined to bridge $NET-br at address $2/24 by a veth pair whose host end is named
# like the namespace. Does nothing when the namespace exists already.
host_up() {
  local ns=$1 addr=$2
  ip netns list | grep -qw "^$ns" && return
  ip link show "$NET-br" >/dev/null 2>&1 || die "no bridge $NET-br: cluster.sh net-up first"
  ip link del "$ns" 2>/dev/null || true # left by a namespace that outlived its name
  ip netns add "$ns"
  ip link add "$ns" type veth peer name eth0 netns "$ns"
  ip link set "$ns" master "$NET-br" up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
}
