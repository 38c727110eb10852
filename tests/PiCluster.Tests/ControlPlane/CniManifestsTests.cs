using System;
using System.IO;
using System.Linq;
using System.Text;
using PiCluster.Clusters;
using PiCluster.ControlPlane;
using Xunit;

namespace PiCluster.Tests.ControlPlane;

/// <summary>The pinned manifest table and the one check path that pinned, cluster-file and lab manifests share.</summary>
public class CniManifestsTests
{
    private static ClusterDefinition Cluster(string network)
    {
        var cluster = ClusterFileLoader.Parse(
            "name: homelab\nnetwork:\n" + network + "nodes:\n  - { name: node01, address: 192.168.1.201, role: control-plane }\n", "cluster.yaml");
        cluster.SourcePath = "/home/pi/cluster/cluster.yaml";
        return cluster;
    }

    [Fact]
    public void EveryPluginHasOnePinAtItsUpstreamReleaseUrl()
    {
        Assert.Equal(new[] { "flannel", "calico", "canal" }, CniManifests.Pinned.Select(p => p.Plugin));
        Assert.All(CniManifests.Pinned, p => Assert.StartsWith("https://", p.Url, StringComparison.Ordinal));
        Assert.All(CniManifests.Pinned, p => Assert.Contains(p.Version, p.Url, StringComparison.Ordinal));
        Assert.Equal("kube-flannel-ds", CniManifests.For("flannel").DaemonSetName);
        Assert.Throws<ArgumentException>(() => CniManifests.For("weave"));
    }

    [Fact]
    public void EveryPinIsAFileAtItsReleaseTagWithItsHash()
    {
        // raw.githubusercontent.com at a tag serves the blob as committed, which is what the recorded hashes were computed from.
        Assert.All(CniManifests.Pinned, p => Assert.Matches($"^https://raw\\.githubusercontent\\.com/[^/]+/[^/]+/{p.Version.Replace(".", "\\.")}/", p.Url));
        Assert.All(CniManifests.Pinned, p => Assert.Matches("^[0-9a-f]{64}$", p.Sha256 ?? ""));
        Assert.Equal(3, CniManifests.Pinned.Select(p => p.Sha256).Distinct().Count());
    }

    [Fact]
    public void TheReleaseManifestIsTheDefaultAndIsCheckedAgainstItsPin()
    {
        var source = CniManifests.Resolve(Cluster("  plugin: calico\n"));
        Assert.Equal((ManifestOrigin.Pinned, "https://raw.githubusercontent.com/projectcalico/calico/v3.30.3/manifests/calico.yaml"), (source.Origin, source.Location));
        Assert.Equal(CniManifests.For("calico").Sha256, source.ExpectedSha256);
        var check = ManifestIntegrity.Check(source, Encoding.UTF8.GetBytes("kind: DaemonSet\n"));
        Assert.Equal(ManifestCheckStatus.Mismatch, check.Status);
        Assert.False(check.Passed);
        Assert.Contains(check.ActualSha256, check.Message);
    }

    [Fact]
    public void AClusterFileManifestWithoutAHashCannotBeChecked()
    {
        var source = CniManifests.Resolve(Cluster("  plugin: flannel\n  manifest: ./f.yml\n"));
        var check = ManifestIntegrity.Check(source, Encoding.UTF8.GetBytes("kind: DaemonSet\n"));
        Assert.Equal(ManifestCheckStatus.NoExpectedHash, check.Status);
        Assert.False(check.Passed);
        Assert.Contains("network.manifestSha256", check.Message);
    }

    [Fact]
    public void AClusterFileManifestAndItsHashGoThroughTheSameCheck()
    {
        var content = Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(CniManifestPatcherTests.RepoRoot(), "tests", "lab", "standins", "manifests", "kube-flannel.yml")));
        var sha = ManifestIntegrity.Sha256(content);
        var source = CniManifests.Resolve(Cluster($"  plugin: flannel\n  manifest: manifests/kube-flannel.yml\n  manifestSha256: {sha.ToUpperInvariant()}\n"));
        Assert.Equal(ManifestOrigin.ClusterFile, source.Origin);
        Assert.Equal(Path.GetFullPath("/home/pi/cluster/manifests/kube-flannel.yml"), source.Location);
        Assert.Equal(sha, source.ExpectedSha256);
        Assert.Equal(ManifestCheckStatus.Verified, ManifestIntegrity.Check(source, content).Status);

        content[0] ^= 1;
        var tampered = ManifestIntegrity.Check(source, content);
        Assert.Equal(ManifestCheckStatus.Mismatch, tampered.Status);
        Assert.Contains("nothing was applied", tampered.Message);
    }

    [Fact]
    public void AHashInTheFileAlsoPinsTheReleaseManifest()
    {
        var sha = new string('a', 64);
        var source = CniManifests.Resolve(Cluster($"  plugin: flannel\n  manifestSha256: {sha}\n"));
        Assert.Equal((ManifestOrigin.Pinned, sha), (source.Origin, source.ExpectedSha256));
        // Another plugin than the file's takes its own pin, not the file's manifest or hash.
        var other = CniManifests.Resolve(Cluster($"  plugin: flannel\n  manifest: ./f.yml\n  manifestSha256: {sha}\n"), "calico");
        Assert.Equal((ManifestOrigin.Pinned, CniManifests.For("calico").Sha256), (other.Origin, other.ExpectedSha256));
    }

    [Fact]
    public void Sha256IsLowerCaseHexAsSha256sumPrintsIt() =>
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ManifestIntegrity.Sha256(Array.Empty<byte>()));
}
