using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.Kubernetes;
using PiCluster.Steps.Runtime;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Lab;

/// <summary>Runs the runtime and Kubernetes package steps on lab nodes the way the cmdlets do (ClusterRunner, real OpenSSH).</summary>
internal static class PackageLab
{
    public static IReadOnlyList<PiNode> Nodes(LabFixture lab, params string[] names) =>
        ClusterNodes.ToPiNodes(ClusterFileLoader.Load(lab.ClusterFilePath)).Where(n => names.Contains(n.Name)).ToList();

    public static RecordingRunHost Run(IReadOnlyList<PiNode> nodes, params NodeStep[] steps)
    {
        var host = new RecordingRunHost();
        new ClusterRunner(new OpenSshConnector(), new RunOptions()).Run(nodes, steps, host, CancellationToken.None);
        return host;
    }

    public static string Describe(RecordingRunHost host) =>
        string.Join("\n", host.Results.Select(r => $"{r.Node.Name}/{r.Step}: {r.Status} {r.Message} [{string.Join("; ", r.Changes)}]"))
        + string.Concat(host.Failures.Select(f => $"\nFAILED {f.Node.Name}/{f.Step} {f.Kind}: {f.Message}"));

    /// <summary>Runs a command as root on a node and returns its stdout; throws when it fails.</summary>
    public static async Task<string> RootAsync(LabFixture lab, string node, string command)
    {
        var r = await lab.SshAsync(node, "sudo bash -c " + ShellText.Quote(command));
        if (r.Exit != 0) throw new InvalidOperationException($"{node}: `{command}` failed ({r.Exit}): {r.Out}{r.Err}");
        return r.Out;
    }

    /// <summary>
    /// Holds the dpkg frontend lock the way apt does (a POSIX fcntl write lock, what unattended-upgrades holds at first
    /// boot) for the given time, from a detached process on the node. Perl is part of every Debian system.
    /// </summary>
    public static Task HoldDpkgLockAsync(LabFixture lab, string node, int seconds) => RootAsync(lab, node,
        "setsid perl -e 'use Fcntl; open(my $f, \">>\", \"/var/lib/dpkg/lock-frontend\") or die; " +
        "my $l = pack(\"s s x4 q q i x4\", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die \"lock: $!\"; $0 = \"lock-holder\"; sleep " + seconds + "' " +
        "</dev/null >/dev/null 2>&1 & sleep 1; grep -c POSIX /proc/locks");
}

[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class RuntimeLabTests
{
    private readonly LabFixture _lab;

    public RuntimeLabTests(LabFixture lab) => _lab = lab;

    [Fact]
    public async Task ThreeFreshNodes_GetContainerdAndPinnedHeldPackages_CrictlAnswers_PreflightPasses_SecondRunUnchanged()
    {
        var names = LabFixture.PiNodes;
        await _lab.ResetAsync(names);
        var nodes = PackageLab.Nodes(_lab, names);
        var steps = new NodeStep[] { new ContainerRuntimeStep(), new KubernetesPackagesStep() };

        var first = PackageLab.Run(nodes, steps);

        Assert.True(first.Failures.Count == 0, PackageLab.Describe(first));
        Assert.All(first.Results, r => Assert.Equal(StepStatus.Changed, r.Status));
        foreach (var node in names)
        {
            var config = await PackageLab.RootAsync(_lab, node, "cat /etc/containerd/config.toml");
            Assert.Equal((true, "registry.k8s.io/pause:3.10.1", false), ContainerdConfig.Read(config));
            Assert.Contains("ok", await PackageLab.RootAsync(_lab, node, "ctr plugins ls | awk '$2 == \"cri\" { print $NF }'"));
            await PackageLab.RootAsync(_lab, node, "crictl info >/dev/null"); // through /etc/crictl.yaml
            Assert.Equal("kubeadm\nkubectl\nkubelet", (await PackageLab.RootAsync(_lab, node, "apt-mark showhold")).Trim());
            // A minor channel takes its newest patch: the lab repository's newest 1.34 is 1.34.2.
            Assert.Equal("1.34.2-1.1", (await PackageLab.RootAsync(_lab, node, "dpkg-query -W -f='${Version}' kubeadm")).Trim());
            Assert.Equal("enabled", (await PackageLab.RootAsync(_lab, node, "systemctl is-enabled kubelet")).Trim());
            var sources = await PackageLab.RootAsync(_lab, node, "cat /etc/apt/sources.list.d/kubernetes.list");
            Assert.Contains("deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] http://10.0.2.2:", sources);
            Assert.DoesNotContain("trusted", sources);
        }

        var second = PackageLab.Run(nodes, steps);

        Assert.True(second.Failures.Count == 0, PackageLab.Describe(second));
        Assert.Equal(6, second.Results.Count());
        Assert.All(second.Results, r => Assert.Equal(StepStatus.Unchanged, r.Status));
    }

    [Fact]
    public async Task ConfigWithCriDisabled_IsRepaired_AndTheUsersOwnSectionSurvives()
    {
        const string node = "node2";
        await _lab.ResetAsync(node);
        var nodes = PackageLab.Nodes(_lab, node);
        var install = PackageLab.Run(nodes, new ContainerRuntimeStep());
        Assert.True(install.Failures.Count == 0, PackageLab.Describe(install));

        // What a Docker package leaves, plus a user's registry mirror.
        await PackageLab.RootAsync(_lab, node, "printf '%s\\n' 'disabled_plugins = [\"cri\"]' '' " +
            "'[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]' '  endpoint = [\"https://mirror.lab.invalid\"]' " +
            "> /etc/containerd/config.toml && systemctl restart containerd");
        Assert.DoesNotContain("ok", await PackageLab.RootAsync(_lab, node, "ctr plugins ls | awk '$2 == \"cri\" { print $NF }'"));

        var repair = PackageLab.Run(nodes, new ContainerRuntimeStep());

        Assert.True(repair.Failures.Count == 0, PackageLab.Describe(repair));
        var result = Assert.Single(repair.Results);
        Assert.Equal(StepStatus.Changed, result.Status);
        Assert.Contains(result.Changes, c => c.Description.Contains("enable the CRI plugin"));
        var config = await PackageLab.RootAsync(_lab, node, "cat /etc/containerd/config.toml");
        Assert.Contains("endpoint = [\"https://mirror.lab.invalid\"]", config);
        Assert.Equal((true, "registry.k8s.io/pause:3.10.1", false), ContainerdConfig.Read(config));
        Assert.Contains("ok", await PackageLab.RootAsync(_lab, node, "ctr plugins ls | awk '$2 == \"cri\" { print $NF }'"));
        Assert.NotEmpty(await PackageLab.RootAsync(_lab, node, "ls /etc/containerd/config.toml.picluster-*.bak"));

        var again = PackageLab.Run(nodes, new ContainerRuntimeStep());
        Assert.Equal(StepStatus.Unchanged, Assert.Single(again.Results).Status);
    }
}
