using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using PiCluster.Clusters;
using PiCluster.ControlPlane;
using PiCluster.Tests.Conventions;
using Xunit;

namespace PiCluster.Tests.Lab;

/// <summary>
/// What <c>lab up</c> writes (tests/lab/outputs.py), without booting a lab: the cluster file is one PiCluster loads, and
/// its kubeadm configuration names 127.0.0.1 among the API server certificate's SANs, the address the lab forwards the
/// control plane's 6443 to (nodes.json apiPort).
/// </summary>
public sealed class LabOutputsTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("pilab-outputs-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public void TheLabsClusterFileLoadsAndPutsTheForwardedAddressInTheApiServerCertificate()
    {
        WriteNode("node1", sshPort: 40022, apiPort: 40443);
        WriteNode("node2", sshPort: 40023, apiPort: null);
        File.WriteAllText(Path.Combine(_state, "id_ed25519"), "");
        File.WriteAllText(Path.Combine(_state, "ssh_config"), "");
        RunOutputs("node1", "node2");

        var cluster = ClusterFileLoader.Load(Path.Combine(_state, "cluster.yaml"));
        Assert.Equal(["127.0.0.1"], cluster.Kubernetes.CertSans);
        var controlPlane = cluster.Nodes.Single(n => n.Name == "node1");
        var sans = KubeadmConfiguration.CertificateSans(cluster, controlPlane, new ControlPlaneFacts("v1.34.1", "192.168.77.11", "raspberrypi", CriSockets.Containerd));
        Assert.Equal(["192.168.77.11", "node1", "raspberrypi", "127.0.0.1"], sans);

        using var nodes = JsonDocument.Parse(File.ReadAllText(Path.Combine(_state, "nodes.json")));
        Assert.Equal(40443, nodes.RootElement.GetProperty("apiPort").GetInt32());
    }

    private void WriteNode(string name, int sshPort, int? apiPort)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_state, "nodes", name)).FullName;
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new
        {
            name, flavour = "pi", memoryMiB = 2048, cpus = 2, sshPort, apiPort, lanAddress = name == "node1" ? "192.168.77.11" : "192.168.77.12",
        }));
    }

    private void RunOutputs(params string[] names)
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(ModulePaths.RepoRoot, "tests", "lab", "outputs.py"));
        psi.ArgumentList.Add(_state);
        psi.ArgumentList.Add("");
        foreach (var name in names)
            psi.ArgumentList.Add(name);
        using var process = Process.Start(psi)!;
        var err = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "outputs.py failed: " + err);
    }
}
