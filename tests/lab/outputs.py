#!/usr/bin/env python3
"""Writes the outputs of `lab up` that tests and users read: nodes.json and cluster.yaml (see README.md).

Usage: outputs.py STATE_DIR REPO_PORT|"" NODE...   (called by `lab`; a module so the host tests can run it)
"""
import hashlib
import json
import os
import sys

STANDIN_MANIFESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "standins", "manifests")


def _pid(node_dir, name):
    try:
        with open(os.path.join(node_dir, name)) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def write(state, repo_port, names):
    nodes = []
    for n in names:
        d = os.path.join(state, "nodes", n)
        with open(os.path.join(d, "config.json")) as f:
            c = json.load(f)
        nodes.append({"name": n, "flavour": c["flavour"], "sshPort": c["sshPort"], "apiPort": c.get("apiPort"),
                      "lanAddress": c["lanAddress"], "memoryMiB": c["memoryMiB"], "cpus": c["cpus"],
                      "pid": _pid(d, "qemu.pid"), "supervisorPid": _pid(d, "supervisor.pid"),
                      "monitorSocket": os.path.join(d, "monitor.sock"), "consoleLog": os.path.join(d, "console.log")})
    # The control plane (first node) is the one whose 6443 is forwarded to 127.0.0.1.
    api_port = nodes[0]["apiPort"] if nodes else None
    doc = {"stateDir": state, "clusterFile": os.path.join(state, "cluster.yaml"),
           "sshConfig": os.path.join(state, "ssh_config"), "knownHosts": os.path.join(state, "known_hosts"),
           "identityFile": os.path.join(state, "id_ed25519"), "lan": "192.168.77.0/24",
           "repoPort": int(repo_port) if repo_port else None, "apiPort": api_port,
           "apiServer": "https://127.0.0.1:%d" % api_port if api_port else None, "nodes": nodes}
    with open(os.path.join(state, "nodes.json.tmp"), "w") as f:
        json.dump(doc, f, indent=2)
    os.replace(os.path.join(state, "nodes.json.tmp"), os.path.join(state, "nodes.json"))

    y = ["# Written by tests/lab/lab up. Nodes are reached over SSH at 127.0.0.1:<port> (qemu port forwards);",
         "# lanAddress is the node's address on the lab's private LAN (eth0).",
         "name: pilab", "kubernetes:", '  version: "1.34"', "  podSubnet: 10.244.0.0/16",
         "  serviceSubnet: 10.96.0.0/12", '  controlPlaneEndpoint: ""',
         "  # The API server is also forwarded to 127.0.0.1 (nodes.json apiPort): its certificate must name it.",
         "  certSANs:", "    - 127.0.0.1"]
    if repo_port:
        base = f"http://10.0.2.2:{repo_port}/core:/stable:/v1.34/deb/"
        y += [f"  packageRepository: {base}", f"  repositoryKey: {os.path.join(state, 'repo-release.key')}"]
    else:
        y += ['  packageRepository: ""', '  repositoryKey: ""']
    y += ["network:", "  plugin: flannel"]
    if repo_port:
        # The pinned upstream manifest cannot be downloaded here: the nodes fetch the lab's stand-in, checked by its hash.
        with open(os.path.join(STANDIN_MANIFESTS, "kube-flannel.yml"), "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        y += [f"  manifest: http://10.0.2.2:{repo_port}/manifests/kube-flannel.yml", f"  manifestSha256: {sha}"]
    y += ["runtime:", "  name: containerd", "ssh:", "  user: pi", "  port: 22",
          f"  identityFile: {os.path.join(state, 'id_ed25519')}", f"  configFile: {os.path.join(state, 'ssh_config')}",
          "lan:", "  interface: eth0", "  prefixLength: 24", "nodes:"]
    for i, n in enumerate(nodes):
        y += [f"  - name: {n['name']}", "    address: 127.0.0.1", f"    lanAddress: {n['lanAddress']}",
              f"    role: {'control-plane' if i == 0 else 'worker'}", f"    ssh: {{ port: {n['sshPort']} }}"]
    with open(os.path.join(state, "cluster.yaml.tmp"), "w") as f:
        f.write("\n".join(y) + "\n")
    os.replace(os.path.join(state, "cluster.yaml.tmp"), os.path.join(state, "cluster.yaml"))


if __name__ == "__main__":
    write(sys.argv[1], sys.argv[2], sys.argv[3:])
