using System;
using System.IO;
using System.Linq;
using System.Threading;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.Kubeconfig;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

/// <summary>
/// Export-PiKubeconfig's step over the real transports and a throwaway sshd with a stand-in sudo: admin.conf comes
/// through the session's stdout into the kubeconfig here, and its key is nowhere else, on the "node" or in /tmp.
/// </summary>
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KubeconfigOverSshTests : IDisposable
{
    private static readonly string ClientKey = "S0VZ" + new string(Enumerable.Range(0, 1600).Select(i => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[(i * 7919 + 13) % 62]).ToArray());

    private static readonly string AdminConf =
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0EtREFUQQ==\n    server: https://10.0.0.5:6443\n  name: overssh\n" +
        "contexts:\n- context:\n    cluster: overssh\n    user: kubernetes-admin\n  name: kubernetes-admin@overssh\ncurrent-context: kubernetes-admin@overssh\n" +
        "kind: Config\npreferences: {}\nusers:\n- name: kubernetes-admin\n  user:\n    client-certificate-data: Q0VSVC1EQVRBLUNFUlQtREFUQQ==\n" +
        "    client-key-data: " + ClientKey + "\n";

    private readonly string _home = Directory.CreateTempSubdirectory("picluster-kubeconfig-ssh-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public void AdminConfTravelsOnlyThroughTheSessionIntoTheKubeconfig(SshTransport transport)
    {
        using var server = SshServer.StartWithFakeSudo("nopasswd");
        server.TrustHostKey();
        File.WriteAllText(server.AdminConf, AdminConf);
        File.SetUnixFileMode(server.AdminConf, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetLastWriteTimeUtc(server.AdminConf, DateTime.UtcNow.AddSeconds(-10));
        var marker = Path.Combine(_home, "started");
        File.WriteAllText(marker, "");
        File.SetLastWriteTimeUtc(marker, DateTime.UtcNow.AddSeconds(-2));
        var node = server.Node("cp1");
        var path = Path.Combine(_home, ".kube", "config");
        var host = new RecordingRunHost();

        new ClusterRunner(Transports.Connector(transport), new RunOptions { Connect = new ConnectOptions { ConnectTimeout = Transports.LoopbackConnectTimeout } })
            .Run(new[] { node }, new NodeStep[] { new KubeconfigStep(new KubeconfigOptions(path)) }, host, CancellationToken.None);

        Assert.Empty(host.Failures);
        var result = Assert.IsType<KubeconfigResult>(Assert.Single(host.Results).Data);
        Assert.Equal(("overssh", "https://10.0.0.5:6443", StepStatus.Changed), (result.Context, result.Server, result.Status));
        Assert.Contains("client-key-data: " + ClientKey + "\n", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Contains(host.Verbose, l => l.Contains("admin-conf-read.sh", StringComparison.Ordinal));
        Assert.All(host.Verbose, l => Assert.DoesNotContain(ClientKey, l));

        // No copy was made on the "node" (the sshd's folder, its HOME) or in this machine's /tmp while it ran.
        Assert.Empty(FilesHolding(server.Directory, ClientKey, marker, recursive: true));
        Assert.Empty(FilesHolding(Path.GetTempPath(), ClientKey, marker, recursive: false));

        // The second run over the wire changes nothing.
        var again = new RecordingRunHost();
        new ClusterRunner(Transports.Connector(transport), new RunOptions()).Run(new[] { node }, new NodeStep[] { new KubeconfigStep(new KubeconfigOptions(path)) }, again, CancellationToken.None);
        Assert.Equal(StepStatus.Unchanged, Assert.Single(again.Results).Status);
    }

    // Regular files under a folder, written since the marker and under 1 MiB, that hold the text: find's -type f skips
    // FIFOs and sockets, which would block a plain read (.NET's debugger pipes live in /tmp). The text goes in a
    // pattern file, not on a command line.
    private string[] FilesHolding(string folder, string text, string since, bool recursive)
    {
        var patterns = Path.Combine(_home, "pattern");
        File.WriteAllText(patterns, text + "\n");
        var script = "find \"$2\" " + (recursive ? "" : "-maxdepth 1 ") + "-type f -newer \"$3\" -size -1048576c -exec grep -lsF -f \"$1\" -- {} + 2>/dev/null || true";
        var start = new System.Diagnostics.ProcessStartInfo("bash", new[] { "-c", script, "bash", patterns, folder, since }) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        File.Delete(patterns);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
