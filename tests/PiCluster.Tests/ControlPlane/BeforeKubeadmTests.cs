using System;
using System.Linq;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.ControlPlane;

/// <summary>
/// Initialize-PiControlPlane on a prepared node that has no kubeadm yet: -WhatIf shows the configuration kubeadm of the
/// file's version would get (a placeholder for a patch the file does not pin) and the phases after it, instead of
/// refusing; a real run refuses before writing anything.
/// </summary>
public class BeforeKubeadmTests
{
    private static FakeConnector WithoutKubeadm(ControlPlanePhaseTests.Nodes nodes) => new((node, command) =>
        command.Script.Contains("@@ kubeadm_version", StringComparison.Ordinal)
            ? FakeNodeSession.Ok("@@ kubeadm_installed\nno\n@@ kubeadm_version\nbash: line 1: kubeadm: command not found\n@@ hostname\nnode1\n@@ config !missing\n@@ admin_conf\nno\n")
            : nodes.Answer(node, command));

    private static bool Changing(RemoteCommand command) =>
        new[] { "picluster_write_file '/", "kubeadm config images pull", "kubeadm init --config" }.Any(command.Script.Contains);

    [Fact]
    public void WhatIfPlansTheConfigurationForTheFilesMinorWithAPlaceholderPatchAndTheImagesAndInit()
    {
        var connector = WithoutKubeadm(new ControlPlanePhaseTests.Nodes());
        var host = ControlPlanePhaseTests.Run(connector, ControlPlanePhaseTests.Cluster(), approve: false,
            ControlPlanePhases.Init(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)).ToArray());

        Assert.Empty(host.Failures);
        var asked = host.ShouldProcessCalls.Select(c => c.Action).ToList();
        Assert.Equal(3, asked.Count);
        Assert.StartsWith("KubeadmConfig: 1 change", asked[0], StringComparison.Ordinal);
        Assert.Contains("for kubeadm 1.34.x, once kubeadm is installed (it is not yet)", asked[0], StringComparison.Ordinal);
        Assert.Contains("+kubernetesVersion: <the newest 1.34 patch, which the Packages phase (Install-PiKubernetes) installs>", asked[0], StringComparison.Ordinal);
        Assert.Contains("+  advertiseAddress: 192.168.77.11", asked[0], StringComparison.Ordinal);
        Assert.StartsWith("Images: 1 change", asked[1], StringComparison.Ordinal);
        Assert.StartsWith("Init: 1 change", asked[2], StringComparison.Ordinal);
        Assert.DoesNotContain(connector.Sessions.Values.SelectMany(s => s.Commands), Changing);
    }

    [Fact]
    public void APinnedPatchNeedsNoPlaceholder()
    {
        var connector = WithoutKubeadm(new ControlPlanePhaseTests.Nodes());
        var cluster = ClusterWithVersion("1.34.2");
        var host = ControlPlanePhaseTests.Run(connector, cluster, approve: false, ControlPlanePhases.Init(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)).ToArray());

        Assert.Empty(host.Failures);
        Assert.Contains("+kubernetesVersion: v1.34.2\n", host.ShouldProcessCalls[0].Action, StringComparison.Ordinal);
        Assert.Contains("for kubeadm v1.34.2, once kubeadm is installed", host.ShouldProcessCalls[0].Action, StringComparison.Ordinal);
    }

    [Fact]
    public void ARealRunWithoutKubeadmRefusesAndChangesNothing()
    {
        var connector = WithoutKubeadm(new ControlPlanePhaseTests.Nodes());
        var host = ControlPlanePhaseTests.Run(connector, ControlPlanePhaseTests.Cluster(), approve: true,
            ControlPlanePhases.Init(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)).ToArray());

        var failure = Assert.Single(host.Failures);
        Assert.Equal((NodeErrorKind.InvalidNodeState, "KubeadmConfig"), (failure.Kind, failure.Step));
        Assert.Contains("run Install-PiKubernetes first", failure.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(connector.Sessions.Values.SelectMany(s => s.Commands), Changing);
        Assert.DoesNotContain(host.Results, r => r.Step is "Images" or "Init" && r.Status == StepStatus.Changed);
    }

    [Fact]
    public void AWrongInstalledKubeadmIsStillRefusedInThePlan()
    {
        var nodes = new ControlPlanePhaseTests.Nodes();
        var connector = new FakeConnector((node, command) => command.Script.Contains("@@ kubeadm_version", StringComparison.Ordinal)
            ? FakeNodeSession.Ok("@@ kubeadm_installed\nyes\n@@ kubeadm_version\nv1.33.4\n@@ hostname\nnode1\n@@ config !missing\n@@ admin_conf\nno\n")
            : nodes.Answer(node, command));
        var host = ControlPlanePhaseTests.Run(connector, ControlPlanePhaseTests.Cluster(), approve: false,
            ControlPlanePhases.Init(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)).ToArray());

        Assert.Contains("has kubeadm 1.33.4 but kubernetes.version is 1.34", Assert.Single(host.Failures).Detail, StringComparison.Ordinal);
        Assert.Empty(host.ShouldProcessCalls);
    }

    private static PiCluster.Clusters.ClusterDefinition ClusterWithVersion(string version) => PiCluster.Clusters.ClusterFileLoader.Parse(
        "name: homelab\n" +
        $"kubernetes:\n  version: \"{version}\"\n" +
        "network:\n  plugin: flannel\n" +
        "nodes:\n" +
        "  - { name: node1, address: 127.0.0.1, lanAddress: 192.168.77.11, role: control-plane, ssh: { port: 2201 } }\n" +
        "  - { name: node2, address: 127.0.0.1, lanAddress: 192.168.77.12, ssh: { port: 2202 } }\n",
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cluster.yaml"));
}
