using System;
using System.IO;
using PiCluster.Clusters;
using Xunit;

namespace PiCluster.Tests.ControlPlane;

/// <summary>The cluster-file fields the control plane adds: certSANs, imageRepository, manifestSha256.</summary>
public class ControlPlaneFieldsTests
{
    [Fact]
    public void TheControlPlaneFieldsLoad()
    {
        var c = ClusterFileLoader.Load(Path.Combine(AppContext.BaseDirectory, "ClusterFiles", "valid", "control-plane.yaml"));
        Assert.Equal(new[] { "k8s.home.lan", "*.home.lan", "127.0.0.1" }, c.Kubernetes.CertSans);
        Assert.Equal("registry.home.lan:5000/k8s", c.Kubernetes.ImageRepository);
        Assert.Equal("k8s.home.lan:6443", c.Kubernetes.ControlPlaneEndpoint);
        Assert.Equal("0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef", c.Network.ManifestSha256);
    }

    [Fact]
    public void TheyDefaultToEmpty()
    {
        var c = ClusterFileLoader.Parse("name: tiny\nnodes:\n  - { name: pi1, address: 192.168.1.10, role: control-plane }\n", "tiny.yaml");
        Assert.Empty(c.Kubernetes.CertSans);
        Assert.Equal("", c.Kubernetes.ImageRepository);
        Assert.Equal("", c.Network.ManifestSha256);
    }
}
