using System;
using System.Linq;
using System.Security;
using PiCluster.Engine;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

public class SshCommandLineTests
{
    private static readonly PiNode Node = new("node1", "192.0.2.10", user: "pi", port: 2222, identityFile: "~/.ssh/id_pi", configFile: "/tmp/cfg");

    [Fact]
    public void StrictHostKeysUnlessAcceptNewIsAskedForAndNeverOff()
    {
        Assert.Contains("StrictHostKeyChecking=yes", SshCommandLine.Common(Node, new ConnectOptions(), "/tmp/c"));
        var accept = SshCommandLine.Common(Node, new ConnectOptions { AcceptNewHostKey = true }, "/tmp/c");
        Assert.Contains("StrictHostKeyChecking=accept-new", accept);
        Assert.DoesNotContain(accept, a => a.Contains("StrictHostKeyChecking=no"));
    }

    [Fact]
    public void PassesTheNodesSettingsAndNeverPrompts()
    {
        var args = SshCommandLine.Command(Node, new ConnectOptions { ConnectTimeout = TimeSpan.FromSeconds(7) }, "/tmp/pc-x/c");
        var line = string.Join(" ", args);
        Assert.Contains("-F /tmp/cfg", line);
        Assert.Contains("-p 2222", line);
        Assert.Contains("-l pi", line);
        Assert.Contains("-i ~/.ssh/id_pi -o IdentitiesOnly=yes", line);
        Assert.Contains("-o BatchMode=yes", line);
        Assert.Contains("-o ConnectTimeout=7", line);
        Assert.Contains("-o ControlPath=/tmp/pc-x/c", line);
        Assert.Contains("-o ControlMaster=no", line);
        Assert.Equal(new[] { "--", "192.0.2.10", "bash -s" }, args.Skip(args.Count - 3));
    }

    [Fact]
    public void LeavesUnsetSettingsToSshConfig()
    {
        var args = SshCommandLine.Master(new PiNode("n", "pi-host"), new ConnectOptions(), "/tmp/c", TimeSpan.FromMinutes(30));
        Assert.DoesNotContain("-F", args);
        Assert.DoesNotContain("-p", args);
        Assert.DoesNotContain("-l", args);
        Assert.DoesNotContain("-i", args);
        Assert.Contains("ControlMaster=yes", args);
        Assert.Contains("ControlPersist=1800", args);
    }

    [Fact]
    public void TheSudoPasswordIsOnNoCommandLine()
    {
        var password = new SecureString();
        foreach (var c in "hunter2!") password.AppendChar(c);
        var options = new ConnectOptions { SudoPassword = password };
        foreach (var args in new[] { SshCommandLine.Master(Node, options, "/tmp/c", TimeSpan.FromMinutes(1)), SshCommandLine.Command(Node, options, "/tmp/c"), SshCommandLine.Exit(Node, options, "/tmp/c") })
            Assert.DoesNotContain(args, a => a.Contains("hunter2"));
    }
}
