using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Steps.Kubernetes;
using PiCluster.Steps.NodePrep;
using PiCluster.Steps.Runtime;
using PiCluster.Transport;
using Xunit;
using Xunit.Abstractions;
using static PiCluster.Tests.Lab.LabRuns;

namespace PiCluster.Tests.Lab;

/// <summary>
/// Three prepared Pi nodes (<see cref="PreparedSnapshot"/>: DeployLabTests prepares them from fresh nodes) made into a
/// cluster by hand, checked at every stage: the runtime and the Kubernetes packages in place (issue 5), Initialize-PiNode's
/// changes in effect (issue 4), second runs that change nothing over either transport, kubeadm's preflight passing, then
/// a real init and a worker joining over the lab LAN while bad joins fail (issue 2). One test because every install and
/// reboot takes minutes under emulation: the stages share the nodes instead of preparing new ones each.
/// </summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the lab runs where qemu does
public sealed class ClusterLabTests(LabFixture lab, ITestOutputHelper output)
{
    private const string Admin = "sudo kubectl --kubeconfig /etc/kubernetes/admin.conf";

    /// <summary>Several commands as root in one SSH round trip; one trimmed output per command.</summary>
    private async Task<string[]> RootEach(string node, params string[] commands)
    {
        const string Marker = "@@pilab-next@@";
        var outputs = await RootAsync(lab, node, string.Join($"; echo {Marker}; ", commands) + $"; echo {Marker}");
        return outputs.Split(Marker + "\n").Take(commands.Length).Select(o => o.Trim()).ToArray();
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
        apiServer:
          certSANs: [127.0.0.1]
        networking:
          podSubnet: 10.244.0.0/16
        """;

    private async Task<(int Exit, string Out, string Err)> InitAsync()
    {
        await lab.SshOkAsync("node1", $"cat > /tmp/kubeadm.yaml <<'EOF'\n{InitConfig(lab.LanAddress("node1"))}\nEOF");
        return await lab.SshAsync("node1", "sudo kubeadm init --config /tmp/kubeadm.yaml");
    }

    [Fact]
    public async Task Prepared_pi_nodes_hold_their_packages_and_preparation_then_kubeadm_inits_and_a_worker_joins_over_the_lan()
    {
        // node1-3 as DeployLabTests' cold deploy prepared them from fresh nodes, before its kubeadm init.
        await PreparedSnapshot.RestoreOrMakeAsync(lab);
        var nodes = PreparedSnapshot.PiNodes(lab);
        NodeStep[] packageSteps = [new ContainerRuntimeStep(), new KubernetesPackagesStep()];

        // Install-PiContainerRuntime and Install-PiKubernetes left containerd with its CRI plugin and the packages from
        // the lab's signed repository, pinned and held.
        foreach (var node in nodes)
        {
            var facts = await RootEach(node.Name, "cat /etc/containerd/config.toml", "ctr plugins ls | awk '$2 == \"cri\" { print $NF }'",
                "crictl info >/dev/null && echo answers", "apt-mark showhold", "dpkg-query -W -f='${Version}' kubeadm",
                "systemctl is-enabled kubelet", "cat /etc/apt/sources.list.d/kubernetes.list");
            Assert.Equal((true, "registry.k8s.io/pause:3.10.1", false), ContainerdConfig.Read(facts[0]));
            Assert.Equal("ok", facts[1]);
            Assert.Equal("answers", facts[2]); // through /etc/crictl.yaml
            Assert.Equal("kubeadm\nkubectl\nkubelet", facts[3]);
            Assert.Equal("1.34.2-1.1", facts[4]); // a minor channel takes its newest patch: the lab repository's newest 1.34
            Assert.Equal("enabled", facts[5]);
            Assert.Contains("deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] http://10.0.2.2:", facts[6]);
            Assert.DoesNotContain("trusted", facts[6]);
        }

        // Initialize-PiNode's changes are in effect after its reboot.
        foreach (var node in nodes)
        {
            var facts = await RootEach(node.Name, "cat /proc/cmdline", "tail -n +2 /proc/swaps | wc -l",
                "cat /sys/fs/cgroup/cgroup.controllers", "lsmod | grep -cE '^(overlay|br_netfilter) '",
                "sysctl -n net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward", "hostname");
            Assert.Contains("cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1", facts[0]);
            Assert.Equal("0", facts[1]);
            Assert.Contains("memory", facts[2].Split(' '));
            Assert.Equal("2", facts[3]);
            Assert.Equal("1\n1\n1", facts[4]);
            Assert.Equal(node.Name, facts[5]);
        }

        // Converged: the preparation cmdlets change nothing (and do not reboot)...
        var (again, againConnector) = Run(nodes, [InitializeNodeStep.Create(Preparation(skipTimeSyncWait: true)), .. packageSteps]);
        Assert.True(again.Failures.Count == 0, Describe(again));
        Assert.Equal(9, again.Results.Count());
        Assert.All(again.Results, r => Assert.Equal(StepStatus.Unchanged, r.Status));
        // ... and cost one connection and at most three round trips per node: the lock, every step's facts, the release.
        foreach (var node in nodes)
        {
            var session = againConnector.Sessions[node.Name];
            output.WriteLine($"converged preparation, {node.Name}: {session.Connections} connection(s), {session.RoundTrips} round trip(s)");
            Assert.Equal(1, againConnector.Opens[node.Name]);
            Assert.Equal(1, session.Connections);
            Assert.InRange(session.RoundTrips, 1, 3);
        }

        // ... and over SSH.NET too (DeployLabTests prepares its fourth node over SSH.NET from fresh).
        var (againSshNet, againSshNetConnector) = Run(nodes, [InitializeNodeStep.Create(Preparation(skipTimeSyncWait: true)), .. packageSteps],
            transport: SshTransport.SshNet);
        Assert.True(againSshNet.Failures.Count == 0, Describe(againSshNet));
        Assert.All(againSshNet.Results, r => Assert.Equal(StepStatus.Unchanged, r.Status));
        foreach (var node in nodes)
        {
            var session = againSshNetConnector.Sessions[node.Name];
            output.WriteLine($"converged preparation over SSH.NET, {node.Name}: {session.Connections} connection(s), {session.RoundTrips} round trip(s)");
            Assert.Equal((1, 1), (againSshNetConnector.Opens[node.Name], session.Connections));
            Assert.InRange(session.RoundTrips, 1, 3);
        }

        // The stand-in kubeadm's real preflight checks pass on every node.
        foreach (var node in nodes)
        {
            var preflight = await lab.SshAsync(node.Name, "sudo kubeadm init phase preflight 2>&1");
            Assert.True(preflight.Exit == 0, $"{node.Name}: kubeadm init phase preflight failed:\n{preflight.Out}{preflight.Err}");
        }

        // kubeadm init with a v1beta4 config: a join command, admin.conf 0600, the CA hash computed the documented way.
        var init = await InitAsync(); // its output holds a join token: not written to the test log
        Assert.True(init.Exit == 0, init.Err);
        Assert.Matches(new Regex($@"kubeadm join {Regex.Escape(lab.LanAddress("node1"))}:6443 --token [a-z0-9]{{6}}\.[a-z0-9]{{16}} \\\s+--discovery-token-ca-cert-hash sha256:[0-9a-f]{{64}}"), init.Out);
        Assert.Equal("600", await lab.SshOkAsync("node1", "sudo stat -c %a /etc/kubernetes/admin.conf"));
        var documented = await lab.SshOkAsync("node1", "sudo openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt | openssl rsa -pubin -outform der 2>/dev/null | openssl dgst -sha256 -hex | sed 's/^.* //'");
        Assert.Contains("sha256:" + documented, init.Out);

        // A worker joins over the lab LAN; a wrong token, a wrong CA hash and an unreachable endpoint fail.
        var join = await lab.SshOkAsync("node1", "sudo kubeadm token create --print-join-command --ttl 1h");
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
        using (var joined = JsonDocument.Parse(await lab.SshOkAsync("node1", $"{Admin} get nodes -o json")))
            Assert.Equal(["node1", "node2"], joined.RootElement.GetProperty("items").EnumerateArray().Select(n => n.GetProperty("metadata").GetProperty("name").GetString()));

        // A CNI manifest from the lab repository turns both nodes Ready and starts its pods on each.
        Assert.Contains("daemonset.apps/kube-flannel-ds created", await lab.SshOkAsync("node1", $"{Admin} apply -f http://10.0.2.2:{lab.RepoPort}/manifests/kube-flannel.yml"));
        var table = await lab.SshOkAsync("node1", $"{Admin} get nodes");
        output.WriteLine(table);
        Assert.Matches(new Regex(@"node1\s+Ready\s+control-plane"), table);
        Assert.Matches(new Regex(@"node2\s+Ready\s+<none>"), table);

        // kubeadm reset undoes the worker.
        await lab.SshOkAsync("node2", "sudo kubeadm reset -f");
        Assert.NotEqual(0, (await lab.SshAsync("node2", "sudo test -e /etc/kubernetes/kubelet.conf")).Exit);

        // Install-PiContainerRuntime repairs what a Docker package leaves (the CRI plugin disabled), keeping the user's section.
        await RootAsync(lab, "node3", "printf '%s\\n' 'disabled_plugins = [\"cri\"]' '' " +
            "'[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]' '  endpoint = [\"https://mirror.lab.invalid\"]' " +
            "> /etc/containerd/config.toml && systemctl restart containerd");
        Assert.NotEqual("ok", (await RootEach("node3", "ctr plugins ls | awk '$2 == \"cri\" { print $NF }'"))[0]);
        var node3 = nodes.Where(n => n.Name == "node3").ToList();
        var repair = RunSteps(node3, new ContainerRuntimeStep());
        Assert.True(repair.Failures.Count == 0, Describe(repair));
        var repaired = Assert.Single(repair.Results);
        Assert.Equal(StepStatus.Changed, repaired.Status);
        Assert.Contains(repaired.Changes, c => c.Description.Contains("enable the CRI plugin"));
        var after = await RootEach("node3", "cat /etc/containerd/config.toml", "ctr plugins ls | awk '$2 == \"cri\" { print $NF }'", "ls /etc/containerd/config.toml.picluster-*.bak");
        Assert.Contains("endpoint = [\"https://mirror.lab.invalid\"]", after[0]);
        Assert.Equal((true, "registry.k8s.io/pause:3.10.1", false), ContainerdConfig.Read(after[0]));
        Assert.Equal("ok", after[1]);
        Assert.NotEmpty(after[2]);
        Assert.Equal(StepStatus.Unchanged, Assert.Single(RunSteps(node3, new ContainerRuntimeStep()).Results).Status);

        // Last, so a failure here hides no stage above: the real kubectl on this machine, as an admin's, reaches the API
        // through the lab's forward of node1's 6443 to 127.0.0.1 (certSANs above names it) with admin.conf's credentials.
        var nodesSeen = await RealKubectlThroughForwardAsync("get", "nodes", "-o", "json");
        using var seen = JsonDocument.Parse(nodesSeen);
        var node1 = seen.RootElement.GetProperty("items").EnumerateArray().Single(n => n.GetProperty("metadata").GetProperty("name").GetString() == "node1");
        Assert.Contains(node1.GetProperty("status").GetProperty("conditions").EnumerateArray(),
            c => c.GetProperty("type").GetString() == "Ready" && c.GetProperty("status").GetString() == "True");
    }

    /// <summary>Runs this machine's kubectl against node1's API at 127.0.0.1:ApiPort with admin.conf's credentials (a 0600 file, deleted after).</summary>
    private async Task<string> RealKubectlThroughForwardAsync(params string[] args)
    {
        var conf = await lab.SshAsync("node1", "sudo cat /etc/kubernetes/admin.conf");
        Assert.True(conf.Exit == 0, "node1: reading admin.conf failed"); // its text holds a private key: never in a message
        var dir = Directory.CreateTempSubdirectory("pilab-kubectl-").FullName;
        try
        {
            var kubeconfig = Path.Combine(dir, "admin.conf");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
            using (var file = new StreamWriter(kubeconfig, options))
                file.Write(Regex.Replace(conf.Out, @"(?m)^(\s*server:).*$", $"$1 https://127.0.0.1:{lab.ApiPort}"));
            var psi = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])["--kubeconfig", kubeconfig, "--request-timeout", "60s", .. args])
                psi.ArgumentList.Add(arg);
            psi.Environment["HOME"] = dir; // kubectl's discovery cache stays in the temp dir
            using var kubectl = Process.Start(psi)!;
            var stdout = kubectl.StandardOutput.ReadToEndAsync();
            var stderr = await kubectl.StandardError.ReadToEndAsync();
            await kubectl.WaitForExitAsync();
            Assert.True(kubectl.ExitCode == 0, $"kubectl {string.Join(' ', args)} through 127.0.0.1:{lab.ApiPort} failed: {stderr}");
            return await stdout;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
