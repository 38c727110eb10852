using System;
using System.IO;
using System.Linq;
using PiCluster.ControlPlane;
using Xunit;

namespace PiCluster.Tests.ControlPlane;

/// <summary>Patching the pod subnet into excerpts shaped like the upstream release manifests.</summary>
public class CniManifestPatcherTests
{
    private static string Manifest(string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ControlPlane", "Manifests", file));

    /// <summary>The lines that differ between two texts of the same line count (the patcher never adds lines when it edits in place).</summary>
    private static (string Before, string After)[] ChangedLines(string before, string after)
    {
        var a = before.Split('\n');
        var b = after.Split('\n');
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).Where(p => p.First != p.Second).ToArray();
    }

    [Fact]
    public void FlannelsNetworkIsSetAndNothingElseChanges()
    {
        var original = Manifest("kube-flannel.yml");
        var patch = CniManifestPatcher.Patch("flannel", original, "10.200.0.0/16");
        Assert.Equal(new[] { ("      \"Network\": \"10.244.0.0/16\",", "      \"Network\": \"10.200.0.0/16\",") }, ChangedLines(original, patch.Patched));
        Assert.Equal(new[] { "ConfigMap kube-flannel/kube-flannel-cfg net-conf.json Network: 10.244.0.0/16 -> 10.200.0.0/16" }, patch.Changes);
        Assert.Equal(new[] { new CniPoolSetting("ConfigMap kube-flannel/kube-flannel-cfg net-conf.json Network", "10.200.0.0/16", true) }, patch.Pools);
    }

    [Fact]
    public void AManifestThatAlreadyFitsIsUnchanged()
    {
        var original = Manifest("kube-flannel.yml");
        var patch = CniManifestPatcher.Patch("flannel", original, "10.244.0.0/16");
        Assert.False(patch.Changed);
        Assert.Empty(patch.Changes);
        Assert.Equal("", patch.Diff("kube-flannel.yml"));
    }

    [Fact]
    public void CalicosCommentedPoolIsUncommentedInPlaceWithTheItemsIndentation()
    {
        var original = Manifest("calico.yaml");
        var patch = CniManifestPatcher.Patch("calico", original, "10.244.0.0/16");
        Assert.Equal(new[]
        {
            ("            # - name: CALICO_IPV4POOL_CIDR", "            - name: CALICO_IPV4POOL_CIDR"),
            ("            #   value: \"192.168.0.0/16\"", "              value: \"10.244.0.0/16\""),
        }, ChangedLines(original, patch.Patched));
        Assert.Equal("10.244.0.0/16", Assert.Single(patch.Pools).Cidr);
        Assert.StartsWith("DaemonSet kube-system/calico-node container calico-node env CALICO_IPV4POOL_CIDR: commented out", Assert.Single(patch.Changes));
    }

    [Fact]
    public void CalicosPoolIsReadAsUnsetUntilPatchedAndAnExplicitOneIsReplaced()
    {
        var original = Manifest("calico.yaml");
        Assert.Null(Assert.Single(CniManifestPatcher.ReadPools("calico", original)).Cidr);

        var once = CniManifestPatcher.Patch("calico", original, "10.244.0.0/16").Patched;
        var twice = CniManifestPatcher.Patch("calico", once, "172.20.0.0/16");
        Assert.Equal(new[] { ("              value: \"10.244.0.0/16\"", "              value: \"172.20.0.0/16\"") }, ChangedLines(once, twice.Patched));
        Assert.False(CniManifestPatcher.Patch("calico", twice.Patched, "172.20.0.0/16").Changed);
    }

    [Fact]
    public void WithoutTheCommentThePoolIsAddedAsTheFirstEnvItem()
    {
        var original = Manifest("calico.yaml").Replace("            # - name: CALICO_IPV4POOL_CIDR\n            #   value: \"192.168.0.0/16\"\n", "");
        var patch = CniManifestPatcher.Patch("calico", original, "10.244.0.0/16");
        Assert.Contains("          env:\n            # Use Kubernetes API as the backing datastore.\n            - name: CALICO_IPV4POOL_CIDR\n              value: \"10.244.0.0/16\"\n            - name: DATASTORE_TYPE\n", patch.Patched);
        Assert.Equal(original.Split('\n').Length + 2, patch.Patched.Split('\n').Length);
    }

    [Fact]
    public void CanalGetsBothFlannelsNetworkAndCalicosPool()
    {
        var original = Manifest("canal.yaml");
        var patch = CniManifestPatcher.Patch("canal", original, "10.200.0.0/16");
        Assert.Equal(3, ChangedLines(original, patch.Patched).Length);
        Assert.Equal(new[] { "10.200.0.0/16", "10.200.0.0/16" }, patch.Pools.Select(p => p.Cidr));
        Assert.Equal(new[] { true, false }, patch.Pools.Select(p => p.MustEqualPodSubnet));
        Assert.Equal(2, patch.Changes.Count);
    }

    [Fact]
    public void TheDiffShowsOnlyThePatchedLines()
    {
        var patch = CniManifestPatcher.Patch("calico", Manifest("calico.yaml"), "10.244.0.0/16");
        var diff = patch.Diff("https://raw.githubusercontent.com/projectcalico/calico/v3.30.3/manifests/calico.yaml");
        Assert.Equal(2, diff.Split('\n').Count(l => l.StartsWith('-') && !l.StartsWith("---", StringComparison.Ordinal)));
        Assert.Contains("+            - name: CALICO_IPV4POOL_CIDR\n+              value: \"10.244.0.0/16\"\n", diff);
        Assert.Single(diff.Split('\n'), l => l.StartsWith("@@", StringComparison.Ordinal));
    }

    [Fact]
    public void CrlfManifestsKeepTheirLineEnds()
    {
        var original = Manifest("calico.yaml").Replace("\n", "\r\n");
        var patch = CniManifestPatcher.Patch("calico", original, "10.244.0.0/16");
        Assert.Contains("            - name: CALICO_IPV4POOL_CIDR\r\n              value: \"10.244.0.0/16\"\r\n", patch.Patched);
        Assert.DoesNotContain("\r\r", patch.Patched);
        Assert.Equal(original.Length, patch.Patched.Length - (patch.Patched.Length - original.Length));
    }

    [Theory]
    [InlineData("calico", "kube-flannel.yml", "no DaemonSet 'calico-node'")]
    [InlineData("flannel", "calico.yaml", "no ConfigMap 'kube-flannel-cfg'")]
    [InlineData("canal", "kube-flannel.yml", "no ConfigMap 'canal-config'")]
    public void TheWrongPluginsManifestIsRefused(string plugin, string file, string expected)
    {
        var error = Assert.Throws<CniManifestException>(() => CniManifestPatcher.Patch(plugin, Manifest(file), "10.244.0.0/16"));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void APoolFromAReferenceCannotBePatched()
    {
        var original = Manifest("calico.yaml").Replace(
            "            # - name: CALICO_IPV4POOL_CIDR\n            #   value: \"192.168.0.0/16\"\n",
            "            - name: CALICO_IPV4POOL_CIDR\n              valueFrom:\n                configMapKeyRef:\n                  name: calico-config\n                  key: pool\n");
        Assert.Contains("valueFrom", Assert.Throws<CniManifestException>(() => CniManifestPatcher.Patch("calico", original, "10.244.0.0/16")).Message);
    }

    [Fact]
    public void NetConfInADoubleQuotedScalarIsPatchedToo()
    {
        var original = Manifest("kube-flannel.yml").Replace(
            "  net-conf.json: |\n    {\n      \"Network\": \"10.244.0.0/16\",\n      \"EnableNFTables\": false,\n      \"Backend\": {\n        \"Type\": \"vxlan\"\n      }\n    }\n",
            "  net-conf.json: \"{\\\"Network\\\": \\\"10.244.0.0/16\\\", \\\"Backend\\\": {\\\"Type\\\": \\\"vxlan\\\"}}\"\n");
        var patch = CniManifestPatcher.Patch("flannel", original, "10.200.0.0/16");
        Assert.Equal("10.200.0.0/16", Assert.Single(patch.Pools).Cidr);
    }

    [Theory]
    [InlineData("flannel", "kube-flannel.yml")]
    [InlineData("calico", "calico.yaml")]
    [InlineData("canal", "canal.yaml")]
    public void TheLabsStandInManifestsPatchLikeUpstream(string plugin, string file)
    {
        var standIn = File.ReadAllText(Path.Combine(RepoRoot(), "tests", "lab", "standins", "manifests", file));
        var patch = CniManifestPatcher.Patch(plugin, standIn, "10.200.0.0/16");
        Assert.All(patch.Pools, p => Assert.Equal("10.200.0.0/16", p.Cidr));
        // The same objects, namespaces and fields hold the pod network, with the same values, as in the upstream-shaped excerpts.
        Assert.Equal(CniManifestPatcher.ReadPools(plugin, Manifest(file)), CniManifestPatcher.ReadPools(plugin, standIn));
        Assert.Equal(CniManifests.For(plugin).DaemonSetName, plugin switch { "flannel" => "kube-flannel-ds", "calico" => "calico-node", _ => "canal" });
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PiCluster.psd1")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
