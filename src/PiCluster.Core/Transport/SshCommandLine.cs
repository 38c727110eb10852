using System;
using System.Collections.Generic;
using System.Globalization;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>
/// The arguments PiCluster gives the system ssh. Options given with -o win over the user's ssh_config (ssh takes the
/// first value it sees), so these settings hold whatever the config says; everything else (ProxyJump, IdentityFile,
/// User when the node has none...) comes from the config.
/// </summary>
public static class SshCommandLine
{
    /// <summary>Options shared by the master connection and the commands.</summary>
    public static List<string> Common(PiNode node, ConnectOptions options, string controlPath)
    {
        var args = new List<string>();
        if (!string.IsNullOrEmpty(node.ConfigFile)) args.AddRange(new[] { "-F", node.ConfigFile! });
        void Option(string value) => args.AddRange(new[] { "-o", value });
        Option("BatchMode=yes"); // never prompt: a prompt would hang a parallel run
        // Never "no": accepting a new key is an explicit choice, and OpenSSH refuses a changed key even with accept-new.
        Option(options.AcceptNewHostKey ? "StrictHostKeyChecking=accept-new" : "StrictHostKeyChecking=yes");
        Option("ConnectTimeout=" + Math.Max(1, (int)Math.Ceiling(options.ConnectTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        Option("ServerAliveInterval=15");
        Option("ServerAliveCountMax=4");
        Option("ControlPath=" + controlPath);
        if (node.Port is int port) args.AddRange(new[] { "-p", port.ToString(CultureInfo.InvariantCulture) });
        if (!string.IsNullOrEmpty(node.User)) args.AddRange(new[] { "-l", node.User! });
        if (!string.IsNullOrEmpty(node.IdentityFile))
        {
            args.AddRange(new[] { "-i", node.IdentityFile! });
            Option("IdentitiesOnly=yes");
        }
        return args;
    }

    /// <summary>
    /// Starts the run's one connection to the node: a ControlMaster that backgrounds itself once authenticated (so ssh's
    /// exit code says whether connecting worked) and that ends after <paramref name="persist"/> without clients even if
    /// PiCluster dies without closing it.
    /// </summary>
    public static List<string> Master(PiNode node, ConnectOptions options, string controlPath, TimeSpan persist)
    {
        var args = Common(node, options, controlPath);
        args.AddRange(new[] { "-o", "ControlMaster=yes", "-o", "ControlPersist=" + ((int)persist.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "-f", "-N", "--", node.Address });
        return args;
    }

    /// <summary>
    /// One command over the master: the script comes on stdin (<c>bash -s</c>), so nothing long or secret is on any
    /// command line. ProxyCommand=false stops ssh from quietly opening a second connection when the master is gone.
    /// </summary>
    public static List<string> Command(PiNode node, ConnectOptions options, string controlPath)
    {
        var args = Common(node, options, controlPath);
        args.AddRange(new[] { "-o", "ControlMaster=no", "-o", "ProxyCommand=false", "-T", "--", node.Address, BootstrapProtocol.RemoteCommandLine });
        return args;
    }

    /// <summary>Asks the master to close.</summary>
    public static List<string> Exit(PiNode node, ConnectOptions options, string controlPath)
    {
        var args = Common(node, options, controlPath);
        args.AddRange(new[] { "-O", "exit", "--", node.Address });
        return args;
    }
}
