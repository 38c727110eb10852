using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;

namespace PiCluster.Tests.Steps.NodePrep;

/// <summary>Canned fact-script output, as the prep-*-facts.sh scripts print it, and a session that serves it.</summary>
public sealed class NodeFacts
{
    private readonly StringBuilder _text = new();

    public NodeFacts Text(string name, string value) { _text.Append("@@ ").Append(name).Append('\n').Append(value).Append('\n'); return this; }

    public NodeFacts File(string name, string? content)
    {
        if (content is null) _text.Append("@@ ").Append(name).Append(" !missing\n");
        else _text.Append("@@ ").Append(name).Append('\n').Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(content))).Append('\n');
        return this;
    }

    public override string ToString() => _text.ToString();

    public const string PiCmdline = "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet splash\n";
    public const string PiHosts = "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n127.0.1.1\traspberrypi\n";
    public const string PiFstab = "proc            /proc           proc    defaults          0       0\nLABEL=bootfs    /boot/firmware  vfat    defaults          0       2\n";
    public const string GrubDefault = "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"console=ttyS0\"\n";
    public const string GrubFstab = "UUID=1 / ext4 errors=remount-ro 0 1\n/swapfile none swap sw 0 0\n";
}

/// <summary>Builds a session whose fact scripts (recognised by their Display) get canned answers.</summary>
public static class FactSession
{
    public static readonly PiNode Node1 = new("node1", "127.0.0.1", port: 2201, lanAddress: "192.168.50.11");
    public static readonly PiNode Node2 = new("node2", "127.0.0.1", port: 2202, lanAddress: "192.168.50.12");

    public static FakeNodeSession Create(PiNode node, Dictionary<string, NodeFacts> facts, Func<RemoteCommand, CommandResult?>? other = null) =>
        new(node, command =>
        {
            foreach (var pair in facts)
                if (command.Display == pair.Key + ".sh") return FakeNodeSession.Ok(pair.Value.ToString());
            return other?.Invoke(command) ?? FakeNodeSession.Ok();
        });

    public static StepContext Context(FakeNodeSession session, params PiNode[] all) =>
        new(session, all.Length == 0 ? new[] { session.Node } : all, _ => { }, CancellationToken.None);

    /// <summary>Fails unless bash accepts the script's syntax (bash -n), so generated scripts cannot be broken.</summary>
    public static void AssertBashSyntax(string script)
    {
        var start = new System.Diagnostics.ProcessStartInfo("bash", "-n") { RedirectStandardInput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Write(script);
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Xunit.Assert.True(process.ExitCode == 0, $"bash -n: {errors}\n{script}");
    }

    /// <summary>The commands other than fact gathering (what an apply did).</summary>
    public static List<RemoteCommand> Applied(FakeNodeSession session)
    {
        var applied = session.Commands.Where(c => c.Display is null || !c.Display.EndsWith("-facts.sh", StringComparison.Ordinal)).ToList();
        foreach (var command in applied) AssertBashSyntax(command.Script);
        return applied;
    }
}
