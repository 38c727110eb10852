using System;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace PiCluster.Tests.Lab;

/// <summary>
/// The lab's stand-in kubeadm on real lab nodes, installed through apt from the lab's signed repository
/// with a signed-by keyring, as the product installs the real one: preflight refuses a fresh node,
/// passes once the node is prepared; a worker joins over the lab LAN; bad joins fail.
/// </summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class StandInKubeadmTests(LabFixture lab, ITestOutputHelper output)
{
    private async Task<string> Ssh(string node, string command)
    {
        var r = await lab.SshAsync(node, command);
        Assert.True(r.Exit == 0, $"{node}: `{command}` failed (exit {r.Exit}): {r.Out}{r.Err}");
        return r.Out.Trim();
    }

    private string RepoBase =>
        $"http://10.0.2.2:{lab.RepoPort ?? throw new InvalidOperationException("the lab serves no package repository")}/core:/stable:/v1.34/deb/";

    /// <summary>The pkgs.k8s.io recipe against the lab repository, plus Debian's containerd.</summary>
    private async Task InstallStandInsAsync(string node)
    {
        await Ssh(node,
            "set -e; sudo install -d -m 0755 /etc/apt/keyrings; " +
            $"curl -fsS {RepoBase}Release.key | sudo gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg; " +
            $"echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] {RepoBase} /' | sudo tee /etc/apt/sources.list.d/kubernetes.list >/dev/null; " +
            "sudo apt-get update -qq -o Acquire::Languages=none; " +
            "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubelet kubeadm kubectl containerd >/dev/null");
    }

    /// <summary>What node preparation does: the cgroup flags (and a reboot), swap off for good, br_netfilter and the sysctls.</summary>
    private async Task PrepareNodeAsync(string node)
    {
        await Ssh(node, "set -e; f=/boot/firmware/cmdline.txt; sed '1s/$/ cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1/' $f | sudo tee $f.new >/dev/null; sudo mv $f.new $f; " +
                        "sudo systemctl disable dphys-swapfile 2>/dev/null; sudo systemctl enable containerd");
        var reboot = await lab.LabAsync("reboot", node);
        Assert.True(reboot.Exit == 0, reboot.Err);
        await Ssh(node, "set -e; sudo swapoff -a; sudo modprobe -a overlay br_netfilter; " +
                        "sudo sysctl -q -w net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1; sudo systemctl start containerd");
    }

    private static string InitConfig(string address) => $"""
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: InitConfiguration
        localAPIEndpoint:
          advertiseAddress: {address}
        nodeRegistration:
          name: node1
          criSocket: unix:///run/containerd/containerd.sock
          kubeletExtraArgs:
          - name: node-ip
            value: {address}
        ---
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: ClusterConfiguration
        kubernetesVersion: v1.34.2
        networking:
          podSubnet: 10.244.0.0/16
        """;

    private async Task<(int Exit, string Out, string Err)> InitAsync()
    {
        await Ssh("node1", $"cat > /tmp/kubeadm.yaml <<'EOF'\n{InitConfig(lab.LanAddress("node1"))}\nEOF");
        return await lab.SshAsync("node1", "sudo kubeadm init --config /tmp/kubeadm.yaml");
    }

    [Fact]
    // One test, not two: installing the packages on an emulated node takes a minute, and joining needs an init anyway.
    public async Task Init_refuses_a_fresh_node_naming_swap_bridge_netfilter_and_memory_cgroup_then_succeeds_once_prepared_and_a_worker_joins_over_the_lan()
    {
        await lab.ResetAsync("node1", "node2");
        await Task.WhenAll(InstallStandInsAsync("node1"), InstallStandInsAsync("node2"));
        Assert.Equal("v1.34.2", await Ssh("node1", "kubeadm version -o short"));

        var refused = await InitAsync();
        output.WriteLine(refused.Err);
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("[ERROR Swap]: running with swap on is not supported. Please disable swap", refused.Err);
        Assert.Contains("[ERROR FileContent--proc-sys-net-bridge-bridge-nf-call-iptables]: /proc/sys/net/bridge/bridge-nf-call-iptables does not exist", refused.Err);
        Assert.Contains("[ERROR FileContent--proc-sys-net-ipv4-ip_forward]", refused.Err);
        Assert.Contains("[ERROR SystemVerification]: missing required cgroups: memory", refused.Err); // as Raspberry Pi OS boots
        Assert.False((await lab.SshAsync("node1", "sudo test -e /etc/kubernetes/admin.conf")).Exit == 0);

        await Task.WhenAll(PrepareNodeAsync("node1"), PrepareNodeAsync("node2"));
        var init = await InitAsync(); // its output holds a join token: not written to the test log
        Assert.True(init.Exit == 0, init.Err);
        Assert.Matches(new Regex($@"kubeadm join {Regex.Escape(lab.LanAddress("node1"))}:6443 --token [a-z0-9]{{6}}\.[a-z0-9]{{16}} \\\s+--discovery-token-ca-cert-hash sha256:[0-9a-f]{{64}}"), init.Out);
        Assert.Equal("600", await Ssh("node1", "sudo stat -c %a /etc/kubernetes/admin.conf"));

        // The pinned hash is the CA's SubjectPublicKeyInfo hash, computed the documented way.
        var documented = await Ssh("node1", "sudo openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt | openssl rsa -pubin -outform der 2>/dev/null | openssl dgst -sha256 -hex | sed 's/^.* //'");
        Assert.Contains("sha256:" + documented, init.Out);

        var nodes = await Ssh("node1", "sudo kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json");
        using var doc = JsonDocument.Parse(nodes);
        Assert.Equal("node1", doc.RootElement.GetProperty("items")[0].GetProperty("metadata").GetProperty("name").GetString());

        // A worker joins over the lab LAN; a wrong token, a wrong CA hash and an unreachable endpoint fail.
        var join = await Ssh("node1", "sudo kubeadm token create --print-join-command --ttl 1h");
        var m = Regex.Match(join, @"^kubeadm join (\S+) --token (\S+) --discovery-token-ca-cert-hash (\S+)");
        Assert.True(m.Success, "no join command printed");
        string endpoint = m.Groups[1].Value, token = m.Groups[2].Value, hash = m.Groups[3].Value;
        Assert.Equal($"{lab.LanAddress("node1")}:6443", endpoint);

        var wrongToken = await lab.SshAsync("node2", $"sudo kubeadm join {endpoint} --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash {hash} --node-name node2");
        output.WriteLine(wrongToken.Err);
        Assert.NotEqual(0, wrongToken.Exit);
        Assert.Contains("could not find a JWS signature in the cluster-info ConfigMap for token ID \"abcdef\"", wrongToken.Err);

        var wrongHash = await lab.SshAsync("node2", $"sudo kubeadm join {endpoint} --token {token} --discovery-token-ca-cert-hash sha256:{new string('0', 64)} --node-name node2");
        Assert.NotEqual(0, wrongHash.Exit);
        Assert.Contains("none of the public keys", wrongHash.Err);

        // node3's LAN address: a real host on the LAN with nothing listening on 6443.
        var unreachable = await lab.SshAsync("node2", $"sudo kubeadm join {lab.LanAddress("node3")}:6443 --token {token} --discovery-token-ca-cert-hash {hash} --node-name node2");
        output.WriteLine(unreachable.Err);
        Assert.NotEqual(0, unreachable.Exit);
        Assert.Contains("couldn't validate the identity of the API Server", unreachable.Err);
        Assert.NotEqual(0, (await lab.SshAsync("node2", "sudo test -e /etc/kubernetes/kubelet.conf")).Exit);

        var ok = await lab.SshAsync("node2", $"sudo kubeadm join {endpoint} --token {token} --discovery-token-ca-cert-hash {hash} --node-name node2");
        output.WriteLine(ok.Out + ok.Err);
        Assert.True(ok.Exit == 0, ok.Out + ok.Err);
        Assert.Contains("This node has joined the cluster", ok.Out);

        using var joined = JsonDocument.Parse(await Ssh("node1", "sudo kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json"));
        var names = new System.Collections.Generic.List<string>();
        foreach (var n in joined.RootElement.GetProperty("items").EnumerateArray())
            names.Add(n.GetProperty("metadata").GetProperty("name").GetString()!);
        Assert.Equal(["node1", "node2"], names);

        // A CNI manifest from the lab repository turns both nodes Ready and starts its pods on each.
        var port = lab.RepoPort;
        Assert.Contains("daemonset.apps/kube-flannel-ds created",
            await Ssh("node1", $"sudo kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f http://10.0.2.2:{port}/manifests/kube-flannel.yml"));
        var table = await Ssh("node1", "sudo kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes");
        output.WriteLine(table);
        Assert.Matches(new Regex(@"node1\s+Ready\s+control-plane"), table);
        Assert.Matches(new Regex(@"node2\s+Ready\s+<none>"), table);

        // kubeadm reset undoes the worker.
        await Ssh("node2", "sudo kubeadm reset -f");
        Assert.NotEqual(0, (await lab.SshAsync("node2", "sudo test -e /etc/kubernetes/kubelet.conf")).Exit);
    }
}
