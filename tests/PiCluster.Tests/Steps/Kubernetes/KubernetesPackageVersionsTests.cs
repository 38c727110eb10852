using PiCluster.Clusters;
using PiCluster.Steps.Kubernetes;
using Xunit;

namespace PiCluster.Tests.Steps.Kubernetes;

public class KubernetesPackageVersionsTests
{
    private const string Madison = """
   kubeadm | 1.34.10-1.1 | https://pkgs.k8s.io/core:/stable:/v1.34/deb  Packages
   kubeadm | 1.34.2-1.1 | https://pkgs.k8s.io/core:/stable:/v1.34/deb  Packages
   kubeadm | 1.34.2-1.0 | https://pkgs.k8s.io/core:/stable:/v1.34/deb  Packages
   kubeadm | 1.34.1-1.1 | https://pkgs.k8s.io/core:/stable:/v1.34/deb  Packages
   kubeadm | 1.34.0~rc.1-1.1 | https://pkgs.k8s.io/core:/stable:/v1.34/deb  Packages
""";

    [Theory]
    [InlineData("1.34", "1.34.10-1.1")]
    [InlineData("1.34.2", "1.34.2-1.1")]
    [InlineData("1.34.1", "1.34.1-1.1")]
    [InlineData("1.34.3", null)]
    [InlineData("1.33", null)]
    public void Pick_MinorTakesNewestPatch_PatchIsExact(string wanted, string? expected) =>
        Assert.Equal(expected, KubernetesPackageVersions.Pick(KubernetesPackageVersions.ParseMadison(Madison), KubernetesVersion.Parse(wanted)));

    [Theory]
    [InlineData("1.34.2-1.1", "1.34", true)]
    [InlineData("1.34.2-1.1", "1.34.2", true)]
    [InlineData("1.34.1-1.1", "1.34.2", false)]
    [InlineData("1.33.5-1.1", "1.34", false)]
    [InlineData("1.34.0~rc.1-1.1", "1.34", false)]
    public void Satisfies(string installed, string wanted, bool expected) =>
        Assert.Equal(expected, KubernetesPackageVersions.Satisfies(installed, KubernetesVersion.Parse(wanted)));

    [Theory]
    [InlineData("1.34.10-1.1", "1.34.9-1.1", 1)]
    [InlineData("1.34.2-1.1", "1.34.2-1.0", 1)]
    [InlineData("1.34.0~rc.1-1.1", "1.34.0-1.1", -1)]
    [InlineData("1:1.0-1", "2.0-1", 1)]
    [InlineData("1.6.20~ds1-1+deb12u3", "1.6.20~ds1-1+deb12u2", 1)]
    [InlineData("1.0a", "1.0+", -1)]
    [InlineData("1.0", "1.0", 0)]
    public void DebianVersion_OrdersLikeDpkg(string a, string b, int sign) =>
        Assert.Equal(sign, System.Math.Sign(DebianVersion.Compare(a, b)));

    [Fact]
    public void Repository_DefaultsToPkgsK8sIo_WithSignedByKeyring()
    {
        var repo = AptRepository.Kubernetes(KubernetesVersion.Parse("1.34.2"));
        Assert.Equal("https://pkgs.k8s.io/core:/stable:/v1.34/deb/", repo.Url);
        Assert.Equal("https://pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key", repo.Key);
        Assert.True(repo.KeyIsUrl);
        Assert.Equal("deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.34/deb/ /", repo.SourcesLine);
        Assert.Equal("/etc/apt/sources.list.d/kubernetes.list", repo.SourcesPath);
        Assert.DoesNotContain("trusted", repo.SourcesFile);
    }

    [Fact]
    public void Repository_MirrorAndKeyReplaceBoth()
    {
        var repo = AptRepository.Kubernetes(KubernetesVersion.Parse("1.34"), "http://10.0.2.2:8080/core:/stable:/v1.34/deb", "/home/me/k8s.asc");
        Assert.Equal("http://10.0.2.2:8080/core:/stable:/v1.34/deb/", repo.Url);
        Assert.Equal("/home/me/k8s.asc", repo.Key);
        Assert.False(repo.KeyIsUrl);
        Assert.True(repo.SourcesMatch("# mine\ndeb  [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg]   http://10.0.2.2:8080/core:/stable:/v1.34/deb/ /\n"));
        Assert.False(repo.SourcesMatch("deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.33/deb/ /\n"));
        Assert.False(repo.SourcesMatch(null));
    }

    [Fact]
    public void CriORepository_FollowsTheMinor()
    {
        var repo = AptRepository.CriO(KubernetesVersion.Parse("1.34.1"));
        Assert.Equal("deb [signed-by=/etc/apt/keyrings/cri-o-apt-keyring.gpg] https://pkgs.k8s.io/addons:/cri-o:/stable:/v1.34/deb/ /", repo.SourcesLine);
    }
}
