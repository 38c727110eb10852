using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Steps.Kubernetes;
using Xunit;

namespace PiCluster.Tests.Lab;

[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class KubernetesLabTests
{
    private readonly LabFixture _lab;

    public KubernetesLabTests(LabFixture lab) => _lab = lab;

    private string Repository(string prefix = "") => $"http://10.0.2.2:{_lab.RepoPort}/{prefix}core:/stable:/v1.34/deb/";

    [Fact]
    // One install for both: waiting out the lock and honouring an explicit patch (each install takes a minute under emulation).
    public async Task DpkgLockHeldFor20Seconds_IsWaitedFor_ThenAnExplicitPatchIsInstalledAndHeld_AndAnotherVersionLaterIsRefusedWithTheUpgradePath()
    {
        const string node = "node3";
        await _lab.ResetAsync(node);
        var nodes = LabRuns.Nodes(_lab, node);
        await LabRuns.HoldDpkgLockAsync(_lab, node, 20);
        var clock = Stopwatch.StartNew();

        var run = LabRuns.RunSteps(nodes, new KubernetesPackagesStep(new KubernetesPackagesOptions { Version = "1.34.1", LockTimeout = TimeSpan.FromSeconds(120) }));

        Assert.True(run.Failures.Count == 0, LabRuns.Describe(run));
        Assert.Equal(StepStatus.Changed, Assert.Single(run.Results).Status);
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(15), $"took {clock.Elapsed}: it did not wait for the lock");
        Assert.Equal("kubeadm 1.34.1-1.1\nkubectl 1.34.1-1.1\nkubelet 1.34.1-1.1",
            (await LabRuns.RootAsync(_lab, node, "dpkg-query -W -f='${Package} ${Version}\\n' kubeadm kubectl kubelet")).Trim());
        Assert.Equal("kubeadm\nkubectl\nkubelet", (await LabRuns.RootAsync(_lab, node, "apt-mark showhold")).Trim());

        // The minor channel accepts the installed patch; a different patch is not installed behind the user's back.
        Assert.Equal(StepStatus.Unchanged, Assert.Single(LabRuns.RunSteps(nodes, new KubernetesPackagesStep(new KubernetesPackagesOptions { Version = "1.34" })).Results).Status);
        var other = LabRuns.RunSteps(nodes, new KubernetesPackagesStep(new KubernetesPackagesOptions { Version = "1.34.2" }));
        var failure = Assert.Single(other.Failures);
        Assert.Equal(NodeErrorKind.InvalidNodeState, failure.Kind);
        Assert.Contains("kubeadm 1.34.1-1.1", failure.Message);
        Assert.Contains("kubeadm upgrade", failure.Message);
        Assert.Contains("1.34.1-1.1", await LabRuns.RootAsync(_lab, node, "dpkg-query -W -f='${Version}' kubeadm"));
    }

    [Fact]
    public async Task RepositorySignedWithAnotherKey_IsRefusedInPlainWords_AndNothingIsInstalled()
    {
        const string node = "node2";
        await _lab.ResetAsync(node);
        var nodes = LabRuns.Nodes(_lab, node);

        var run = LabRuns.RunSteps(nodes, new KubernetesPackagesStep(new KubernetesPackagesOptions
        {
            PackageRepository = Repository("badkey/"), RepositoryKey = System.IO.Path.Combine(_lab.StateDir, "repo-release.key"),
        }));

        var failure = Assert.Single(run.Failures);
        Assert.Contains("apt refused the Kubernetes v1.34 repository", failure.Message);
        Assert.Contains("signature does not match the key", failure.Message);
        Assert.Contains("nothing was installed", failure.Message);
        Assert.Equal("", (await LabRuns.RootAsync(_lab, node, "dpkg-query -W -f='${db:Status-Abbrev}' kubeadm kubelet kubectl 2>/dev/null | grep ii || true")).Trim());
        Assert.Equal("gone", (await LabRuns.RootAsync(_lab, node, "test -e /etc/apt/sources.list.d/kubernetes.list && echo there || echo gone")).Trim());
        // The node's apt still works: the refused repository was taken out again.
        await LabRuns.RootAsync(_lab, node, "apt-get -q update >/dev/null");
    }

    [Fact]
    public async Task DpkgLockHeldPastTheTimeout_FailsNamingTheHolder_AndChangesNothing()
    {
        const string node = "node1";
        await _lab.ResetAsync(node);
        var nodes = LabRuns.Nodes(_lab, node);
        await LabRuns.HoldDpkgLockAsync(_lab, node, 90);

        var run = LabRuns.RunSteps(nodes, new KubernetesPackagesStep(new KubernetesPackagesOptions { LockTimeout = TimeSpan.FromSeconds(10) }));

        var failure = Assert.Single(run.Failures);
        Assert.Equal(NodeErrorKind.Timeout, failure.Kind);
        Assert.Contains("lock-holder", failure.Message);
        Assert.Contains("Nothing was changed", failure.Message);
        Assert.Equal("none", (await LabRuns.RootAsync(_lab, node,
            "ls /etc/apt/sources.list.d/kubernetes.list /etc/apt/keyrings/kubernetes-apt-keyring.gpg 2>/dev/null || echo none")).Trim());
        Assert.Contains("POSIX", await LabRuns.RootAsync(_lab, node, "cat /proc/locks")); // the holder was left alone
        await _lab.ResetAsync(node);
    }
}
