# shellcheck shell=bash
# Facts for the Networks phase: the node's IPv4 and IPv6 main routing tables as `ip -j` prints them, for the check that
# the pod and service subnets overlap none of the networks a node already reaches.
echo "@@ routes4"
ip -j route show 2>/dev/null || echo '[]'
echo "@@ routes6"
ip -j -6 route show 2>/dev/null || echo '[]'
