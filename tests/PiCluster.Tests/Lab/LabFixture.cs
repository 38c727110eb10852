using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace PiCluster.Tests.Lab;

/// <summary>
/// Starts the test lab once per test run (<c>tests/lab/lab up</c>) and always tears it down (<c>lab down</c>),
/// also when starting it failed halfway. Nodes: node1-node3 Raspberry Pi OS-like, node4 GRUB-booted,
/// node5 Pi-like with 1 GiB of RAM. Every node has a snapshot taken right after its first boot;
/// <see cref="ResetAsync"/> returns nodes to it in seconds, so tests do not depend on their order.
/// </summary>
public sealed class LabFixture : IAsyncLifetime
{
    public static readonly string[] PiNodes = ["node1", "node2", "node3"];
    public const string GrubNode = "node4";
    public const string LowMemoryNode = "node5";

    private static readonly string[] UpArguments =
    [
        "up", "--node", "node1:pi", "--node", "node2:pi", "--node", "node3:pi",
        "--node", "node4:grub", "--node", "node5:pi:mem=1024",
    ];

    public LabFixture()
    {
        RepoRoot = FindRepoRoot();
        LabScript = Path.Combine(RepoRoot, "tests", "lab", "lab");
        StateDir = Environment.GetEnvironmentVariable("PILAB_STATE") is { Length: > 0 } s
            ? s : Path.Combine(RepoRoot, "tests", "lab", ".state");
    }

    public string RepoRoot { get; }
    public string LabScript { get; }
    public string StateDir { get; }
    public string ClusterFilePath => Path.Combine(StateDir, "cluster.yaml");
    public string SshConfigPath => Path.Combine(StateDir, "ssh_config");
    public string KnownHostsPath => Path.Combine(StateDir, "known_hosts");
    public string IdentityFile => Path.Combine(StateDir, "id_ed25519");
    public string NodesJsonPath => Path.Combine(StateDir, "nodes.json");

    /// <summary>What <c>lab up</c> printed, timings included ("pilab timing ..." lines).</summary>
    public string UpOutput { get; private set; } = "";

    /// <summary>
    /// PILAB_REUSE=1: use the lab already running in <see cref="StateDir"/> (started by hand with the same nodes) and
    /// leave it running, so a developer can rerun lab tests without a 5-minute boot each time. CI never sets it.
    /// </summary>
    private static bool Reuse => Environment.GetEnvironmentVariable("PILAB_REUSE") == "1";

    public async Task InitializeAsync()
    {
        if (Reuse && File.Exists(NodesJsonPath))
        {
            UpOutput = File.Exists(UpLogPath) ? File.ReadAllText(UpLogPath) : "";
            return;
        }
        if (!OnPath("qemu-system-x86_64") || !OnPath("qemu-img"))
            throw new InvalidOperationException(
                "The lab tests need qemu (qemu-system-x86, qemu-utils) and the image tools: run tests/lab/ci-prereqs as root.");
        await RunLabAsync(["down"], TimeSpan.FromMinutes(2)); // a lab left behind by a crashed run
        var up = await RunLabAsync(UpArguments, TimeSpan.FromMinutes(60));
        UpOutput = up.Out + up.Err;
        if (up.Exit == 0) File.WriteAllText(UpLogPath, UpOutput);
        if (up.Exit != 0)
        {
            await RunLabAsync(["down"], TimeSpan.FromMinutes(2));
            throw new InvalidOperationException($"lab up failed (exit {up.Exit}):\n{up.Out}\n{up.Err}");
        }
    }

    public async Task DisposeAsync()
    {
        if (!Reuse) await RunLabAsync(["down"], TimeSpan.FromMinutes(2));
    }

    private string UpLogPath => Path.Combine(StateDir, "up.log");

    /// <summary>Runs any lab command, e.g. <c>LabAsync("reboot", "node2")</c>.</summary>
    public Task<(int Exit, string Out, string Err)> LabAsync(params string[] args) => RunLabAsync(args, TimeSpan.FromMinutes(20));

    /// <summary>Runs a shell command on a node as pi over SSH (through the lab's own known_hosts).</summary>
    public Task<(int Exit, string Out, string Err)> SshAsync(string node, string command) => LabAsync("ssh", node, command);

    /// <summary>Runs a shell command on a node as pi; returns its trimmed output and fails the test when it exits non-zero.</summary>
    public async Task<string> SshOkAsync(string node, string command)
    {
        var r = await SshAsync(node, command);
        Assert.True(r.Exit == 0, $"{node}: `{command}` failed (exit {r.Exit}): {r.Out}{r.Err}");
        return r.Out.Trim();
    }

    /// <summary>Returns nodes to their post-first-boot snapshot; throws when that fails.</summary>
    public async Task ResetAsync(params string[] nodes)
    {
        var r = await LabAsync(["reset", .. nodes]);
        if (r.Exit != 0)
            throw new InvalidOperationException($"lab reset {string.Join(' ', nodes)} failed (exit {r.Exit}):\n{r.Out}\n{r.Err}");
    }

    /// <summary>
    /// Restores nodes to the snapshot <paramref name="tag"/> (lab reset --to TAG); false when a node has no such snapshot
    /// or the restore failed, so that the caller makes the state and takes the snapshot.
    /// </summary>
    public async Task<bool> TryResetToAsync(string tag, params string[] nodes) =>
        (await LabAsync(["reset", "--to", tag, .. nodes])).Exit == 0;

    /// <summary>Takes the snapshot <paramref name="tag"/> of running nodes (lab snapshot TAG NAME...); throws when that fails.</summary>
    public async Task SnapshotAsync(string tag, params string[] nodes)
    {
        var r = await LabAsync(["snapshot", tag, .. nodes]);
        if (r.Exit != 0)
            throw new InvalidOperationException($"lab snapshot {tag} {string.Join(' ', nodes)} failed (exit {r.Exit}):\n{r.Out}\n{r.Err}");
    }

    /// <summary>The node's SSH port on 127.0.0.1 (from nodes.json).</summary>
    public int SshPort(string node) => Node(node).GetProperty("sshPort").GetInt32();

    /// <summary>The node's address on the lab LAN (eth0).</summary>
    public string LanAddress(string node) => Node(node).GetProperty("lanAddress").GetString()!;

    /// <summary>Port of the signed stand-in package repository on 127.0.0.1 (10.0.2.2 from the nodes), if served.</summary>
    public int? RepoPort
    {
        get
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(NodesJsonPath));
            var p = doc.RootElement.GetProperty("repoPort");
            return p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;
        }
    }

    /// <summary>
    /// The control plane's API server (its 6443) forwarded to this port on 127.0.0.1, for the real kubectl on this machine;
    /// the lab's cluster file lists 127.0.0.1 in certSANs so the serving certificate holds for it.
    /// </summary>
    public int ApiPort
    {
        get
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(NodesJsonPath));
            return doc.RootElement.GetProperty("apiPort").GetInt32();
        }
    }

    private JsonElement Node(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(NodesJsonPath));
        return doc.RootElement.GetProperty("nodes").EnumerateArray()
            .First(n => n.GetProperty("name").GetString() == name).Clone();
    }

    private async Task<(int Exit, string Out, string Err)> RunLabAsync(IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(LabScript)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PILAB_STATE"] = StateDir;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {LabScript}");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            return (124, await stdout, await stderr + $"\n(lab {string.Join(' ', args)} timed out after {timeout})");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "tests", "lab", "lab")))
                return dir.FullName;
        throw new InvalidOperationException("tests/lab/lab not found above " + AppContext.BaseDirectory);
    }
}
