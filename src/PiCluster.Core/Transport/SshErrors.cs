using System;
using System.Linq;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>Turns what the OpenSSH client printed when it failed into a <see cref="NodeException"/> of the right kind.</summary>
public static class SshErrors
{
    private static readonly string[] Unreachable =
    {
        "Connection refused", "Connection timed out", "Operation timed out", "No route to host", "Network is unreachable",
        "Could not resolve hostname", "Name or service not known", "Connection reset", "Connection closed by",
        "kex_exchange_identification", "Host is down", "connect to host", "Broken pipe", "Timeout, server",
    };

    /// <summary>The failure that <paramref name="stderr"/> of a failed ssh describes.</summary>
    public static NodeException Classify(PiNode node, string stderr, Redactor? redactor = null)
    {
        // The node's name once, in front (a failure drops it, as it names node and step itself); then where ssh went.
        var where = node.Name;
        var at = Destination(node);
        var detail = Summarise(redactor?.Redact(stderr) ?? stderr);
        bool Has(string text) => stderr.IndexOf(text, StringComparison.OrdinalIgnoreCase) >= 0;

        if (Has("REMOTE HOST IDENTIFICATION HAS CHANGED") || Has("Host key for") && Has("has changed"))
            return new NodeException(NodeErrorKind.HostKeyChanged,
                $"{where}: the SSH host key of {at} has CHANGED since it was recorded in known_hosts. The node may have been reinstalled, "
                + "or someone may be intercepting the connection. Verify the new key's fingerprint on the node's console "
                + $"(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then remove the old entry with ssh-keygen -R {KnownHostsName(node)}. "
                + "PiCluster never accepts a changed key, not even with -AcceptNewHostKey.");
        if (Has("host key is known for") || Has("Host key verification failed"))
            return new NodeException(NodeErrorKind.HostKeyUnknown,
                $"{where}: the SSH host key of {at} is not in known_hosts, and strict host-key checking refuses unknown keys. "
                + "Verify the key's fingerprint on the node's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then run again "
                + "with -AcceptNewHostKey to record it (or connect once with ssh and accept it).");
        if (Has("Permission denied (") || Has("Too many authentication failures") || Has("no mutual signature algorithm"))
            return new NodeException(NodeErrorKind.AuthenticationFailed,
                $"{where}: SSH authentication to {at} failed. Check the user, the identity file (or that ssh-agent holds the key) and that the "
                + $"public key is in the node's ~/.ssh/authorized_keys. ssh said: {detail}");
        if (Has("Control socket connect") || Has("mux_client"))
            return new NodeException(NodeErrorKind.NodeUnreachable, $"{where}: the SSH connection to {at} was lost. ssh said: {detail}");
        if (Unreachable.Any(Has))
            return new NodeException(NodeErrorKind.NodeUnreachable,
                $"{where}: cannot reach {at} over SSH. Check that it is powered on, on the network and running sshd. ssh said: {detail}");
        return new NodeException(NodeErrorKind.NodeUnreachable, $"{where}: ssh to {at} failed: {detail}");
    }

    /// <summary>Where ssh goes, as users write it: [user@]address[:port] (what ssh_config decides is left out).</summary>
    public static string Destination(PiNode node) =>
        (node.User is null ? "" : node.User + "@") + node.Address
        + (node.Port is null ? "" : ":" + node.Port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>How known_hosts names the node: the address, or [address]:port for a port other than 22.</summary>
    public static string KnownHostsName(PiNode node) =>
        node.Port is null or 22 ? node.Address : $"'[{node.Address}]:{node.Port}'";

    // The lines that say what went wrong, without ssh's banner of @ signs.
    private static string Summarise(string stderr)
    {
        var lines = stderr.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith("@", StringComparison.Ordinal) && !l.StartsWith("Warning: Permanently added", StringComparison.Ordinal))
            .ToList();
        var text = string.Join(" ", lines);
        return text.Length == 0 ? "(no message)" : text.Length > 400 ? text.Substring(0, 400) + "..." : text;
    }
}
