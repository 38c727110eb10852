using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.ControlPlane;

/// <summary>
/// Install-PiPodNetwork's phase over fake sessions: the manifest fetched on the leader or read here, its SHA-256
/// checked before anything, patched to the pod subnet (the diff under -WhatIf), applied on stdin, verified by the
/// DaemonSet's pods, recorded, and Unchanged on the second run.
/// </summary>
public class PodNetworkPhaseTests
{
    private static readonly byte[] Flannel = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "ControlPlane", "Manifests", "kube-flannel.yml"));
    private static readonly string FlannelSha = ManifestIntegrity.Sha256(Flannel);
    private const string Url = "http://10.0.2.2:8080/manifests/kube-flannel.yml";

    private sealed class Leader
    {
        public string? Record;
        public bool AdminConf = true;
        public byte[] Served = Flannel;
        public string ServedUrl = Url;
        public Queue<string> Phases = new(new[] { "Pending", "Running" });
        public string LastPhase = "Running";

        private string Pods()
        {
            var phase = Phases.Count > 0 ? Phases.Dequeue() : LastPhase;
            return "{\"items\":[{\"metadata\":{\"name\":\"kube-flannel-ds-abcde\",\"ownerReferences\":[{\"kind\":\"DaemonSet\",\"name\":\"kube-flannel-ds\"}]},"
                + $"\"status\":{{\"phase\":\"{phase}\",\"containerStatuses\":[{{\"ready\":{(phase == "Running" ? "true" : "false")}}}]}}}},"
                + "{\"metadata\":{\"name\":\"other\",\"ownerReferences\":[{\"kind\":\"DaemonSet\",\"name\":\"something-else\"}]},\"status\":{\"phase\":\"Pending\"}},"
                // The facts list every namespace: a DaemonSet of the same name elsewhere is not the plugin's.
                + "{\"metadata\":{\"name\":\"kube-flannel-ds-xyz\",\"namespace\":\"elsewhere\",\"ownerReferences\":[{\"kind\":\"DaemonSet\",\"name\":\"kube-flannel-ds\"}]},\"status\":{\"phase\":\"Pending\"}}]}";
        }

        public CommandResult Answer(PiNode node, RemoteCommand command)
        {
            var s = command.Script;
            if (s == RemoteScripts.Compose("leader-facts")) return FakeNodeSession.Ok(AdminConf ? "yes\n" : "no\n");
            if (s.Contains("picluster_file_section record", StringComparison.Ordinal))
            {
                var text = new StringBuilder();
                if (s.Contains($"PICLUSTER_URL='{ServedUrl}'", StringComparison.Ordinal)) text.Append("@@ manifest\n").Append(Convert.ToBase64String(Served)).Append('\n');
                text.Append(Record is null ? "@@ record !missing\n" : $"@@ record\n{Convert.ToBase64String(Encoding.UTF8.GetBytes(Record + "\n"))}\n");
                text.Append("@@ admin_conf\n").Append(AdminConf ? "yes\n" : "no\n");
                if (AdminConf) text.Append("@@ pods\n").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(Pods()))).Append('\n');
                return FakeNodeSession.Ok(text.ToString());
            }
            if (s.Contains("get pods -o json", StringComparison.Ordinal)) return FakeNodeSession.Ok(Pods());
            if (s.Contains("PICLUSTER_SHA256=", StringComparison.Ordinal))
            {
                Record = s.Split('\n').First(l => l.StartsWith("PICLUSTER_SHA256=", StringComparison.Ordinal)).Split('=')[1].Trim('\'');
                return FakeNodeSession.Ok();
            }
            return FakeNodeSession.Ok();
        }
    }

    private static PodNetworkPhase Phase(string? plugin = null) =>
        new(plugin, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10), readLocalFile: _ => Flannel);

    private static string Network(string manifest, string? sha) => $"  manifest: {manifest}\n" + (sha is null ? "" : $"  manifestSha256: {sha}\n");

    private static IEnumerable<RemoteCommand> Applies(FakeConnector connector) =>
        connector.Sessions.Values.SelectMany(s => s.Commands).Where(c => c.Script.Contains("apply -f -", StringComparison.Ordinal));

    [Fact]
    public void AManifestFetchedOnTheLeaderIsCheckedPatchedAppliedOnStdinVerifiedAndThenUnchanged()
    {
        var leader = new Leader();
        var cluster = ControlPlanePhaseTests.Cluster("  podSubnet: 10.200.0.0/16\n", Network(Url, FlannelSha));
        var connector = new FakeConnector(leader.Answer);
        var host = ControlPlanePhaseTests.Run(connector, cluster, approve: true, Phase());

        Assert.Empty(host.Failures);
        var apply = Assert.Single(Applies(connector));
        Assert.Equal("node1", connector.Sessions.Single(s => s.Value.Commands.Contains(apply)).Key);
        Assert.Contains("\"Network\": \"10.200.0.0/16\"", apply.Input, StringComparison.Ordinal);
        Assert.DoesNotContain("10.200.0.0/16", apply.Script, StringComparison.Ordinal);
        Assert.DoesNotContain("kind: DaemonSet", apply.Script, StringComparison.Ordinal);
        var result = Assert.Single(host.Results, r => r.Step == "PodNetwork");
        Assert.Equal(StepStatus.Changed, result.Status);
        Assert.Equal(ManifestIntegrity.Sha256(Encoding.UTF8.GetBytes(apply.Input!)), leader.Record);
        // The facts read Pending, the wait read Running.
        Assert.True(connector.Sessions["node1"].Commands.Count(c => c.Script.Contains(" get pods ", StringComparison.Ordinal)) >= 2, "waited for Pending to become Running");

        var again = new FakeConnector(leader.Answer);
        var second = ControlPlanePhaseTests.Run(again, cluster, approve: true, Phase());
        Assert.Empty(second.Failures);
        Assert.Equal(StepStatus.Unchanged, Assert.Single(second.Results, r => r.Step == "PodNetwork").Status);
        Assert.Empty(Applies(again));
        Assert.All(again.Opens.Values, opens => Assert.Equal(1, opens));
    }

    [Fact]
    public void WhatIfShowsThePatchAsADiffAgainstUpstreamAndAppliesNothing()
    {
        var leader = new Leader();
        var cluster = ControlPlanePhaseTests.Cluster("  podSubnet: 10.200.0.0/16\n", Network("kube-flannel.yml", FlannelSha));
        var connector = new FakeConnector(leader.Answer);
        var host = ControlPlanePhaseTests.Run(connector, cluster, approve: false, Phase());

        Assert.Empty(host.Failures);
        Assert.Empty(Applies(connector));
        Assert.Null(leader.Record);
        var action = Assert.Single(host.ShouldProcessCalls).Action;
        Assert.Contains("-      \"Network\": \"10.244.0.0/16\",", action, StringComparison.Ordinal);
        Assert.Contains("+      \"Network\": \"10.200.0.0/16\",", action, StringComparison.Ordinal);
        Assert.Contains("SHA-256 verified", action, StringComparison.Ordinal);
    }

    [Fact]
    public void AManifestWhoseHashDiffersIsRefusedBeforeAnything()
    {
        var leader = new Leader { Served = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Flannel) + "\n# tampered\n") };
        var cluster = ControlPlanePhaseTests.Cluster("", Network(Url, FlannelSha));
        var connector = new FakeConnector(leader.Answer);
        var host = ControlPlanePhaseTests.Run(connector, cluster, approve: true, Phase());

        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.ManifestUntrusted, failure.Kind);
        Assert.Contains($"not the expected sha256:{FlannelSha}", failure.Detail, StringComparison.Ordinal);
        Assert.Empty(Applies(connector));
        Assert.Empty(host.ShouldProcessCalls);
    }

    [Fact]
    public void APinnedManifestIsCheckedAgainstItsRecordedHash()
    {
        // The pinned calico URL serves other bytes (a mirror or a proxy that rewrote it): refused against the pin's hash.
        var pin = CniManifests.For("calico");
        var connector = new FakeConnector(new Leader { ServedUrl = pin.Url }.Answer);
        var host = ControlPlanePhaseTests.Run(connector, ControlPlanePhaseTests.Cluster(), approve: true, new PodNetworkPhase("calico", TimeSpan.FromSeconds(5), readLocalFile: _ => Flannel));

        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.ManifestUntrusted, failure.Kind);
        Assert.Contains($"not the expected sha256:{pin.Sha256}", failure.Detail, StringComparison.Ordinal);
        Assert.Empty(Applies(connector));
    }

    [Fact]
    public void AClusterFileManifestWithoutAHashIsRefusedWithWhatToDo()
    {
        var connector = new FakeConnector(new Leader().Answer);
        var host = ControlPlanePhaseTests.Run(connector, ControlPlanePhaseTests.Cluster("", Network(Url, null)), approve: true, Phase());

        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.ManifestUntrusted, failure.Kind);
        Assert.Contains("no SHA-256", failure.Detail, StringComparison.Ordinal);
        Assert.Contains("network.manifestSha256", failure.Detail, StringComparison.Ordinal);
        Assert.Empty(Applies(connector));
    }

    [Fact]
    public void PodsThatNeverRunFailWithTheirNamesAfterTheBoundedWait()
    {
        var leader = new Leader { Phases = new Queue<string>(), LastPhase = "Pending" };
        var cluster = ControlPlanePhaseTests.Cluster("", Network(Url, FlannelSha));
        var connector = new FakeConnector(leader.Answer);
        var host = ControlPlanePhaseTests.Run(connector, cluster, approve: true,
            new PodNetworkPhase(null, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(20)));

        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.Timeout, failure.Kind);
        Assert.Contains("kube-flannel/kube-flannel-ds", failure.Detail, StringComparison.Ordinal);
        Assert.Contains("kube-flannel-ds-abcde Pending", failure.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("other", failure.Detail, StringComparison.Ordinal);
        Assert.Null(leader.Record);
    }

    [Fact]
    public void WithoutAClusterOnTheLeaderThePlanStillShowsThePatchAndTheApplySaysToInitialiseFirst()
    {
        var leader = new Leader { AdminConf = false };
        var cluster = ControlPlanePhaseTests.Cluster("  podSubnet: 10.200.0.0/16\n", Network(Url, FlannelSha));
        var planned = ControlPlanePhaseTests.Run(new FakeConnector(leader.Answer), cluster, approve: false, Phase());
        Assert.Empty(planned.Failures);
        Assert.Contains("+      \"Network\": \"10.200.0.0/16\",", Assert.Single(planned.ShouldProcessCalls).Action, StringComparison.Ordinal);
        Assert.Contains(planned.Warnings, w => w.Contains("Initialize-PiControlPlane", StringComparison.Ordinal));

        var connector = new FakeConnector((node, command) => command.Script.Contains("apply -f -", StringComparison.Ordinal)
            ? new CommandResult(3, "", "no /etc/kubernetes/admin.conf: no cluster runs here\n") : leader.Answer(node, command));
        var host = ControlPlanePhaseTests.Run(connector, cluster, approve: true, Phase());
        Assert.Null(leader.Record);
        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.InvalidNodeState, failure.Kind);
        Assert.Contains("Initialize-PiControlPlane", failure.Detail, StringComparison.Ordinal);
    }
}
