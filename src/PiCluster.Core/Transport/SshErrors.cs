using System;
using System.Linq;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>Turns what the OpenSSH client printed when it failed into a <see cref="NodeException"/> of the right kind.</summary>
public static class SshErrors
{
    private static readonly string[] UnreachableTexts =
    {
        "Connection refused", "Connection timed out", "Operation timed out", "No route to host", "Network is unreachable",
        "Could not resolve hostname", "Name or service not known", "Connection reset", "Connection closed by",
        "kex_exchange_identification", "Host is down", "connect to host", "Broken pipe", "Timeout, server",
    };

    /// <summary>The failure that <paramref name="stderr"/> of a failed ssh describes.</summary>
    public static NodeException Classify(PiNode node, string stderr, Redactor? redactor = null)
    {
        var detail = Summarise(redactor?.Redact(stderr) ?? stderr);
        bool Has(string text) => stderr.IndexOf(text, StringComparison.OrdinalIgnoreCase) >= 0;

        if (Has("REMOTE HOST IDENTIFICATION HAS CHANGED") || Has("Host key for") && Has("has changed")) return HostKeyChanged(node);
        if (Has("host key is known for") || Has("Host key verification failed")) return HostKeyUnknown(node);
        if (Has("Permission denied (") || Has("Too many authentication failures") || Has("no mutual signature algorithm"))
            return AuthenticationFailed(node, detail);
        if (Has("Control socket connect") || Has("mux_client")) return ConnectionLost(node, detail);
        if (UnreachableTexts.Any(Has)) return Unreachable(node, detail);
        return new NodeException(NodeErrorKind.NodeUnreachable, $"{Where(node)}: ssh failed: {detail}");
    }

    /// <summary>"node1 (pi@10.0.0.1:22)": how messages name the node.</summary>
    public static string Where(PiNode node) => $"{node.Name} ({(node.User is null ? node.Endpoint.Substring(1) : node.Endpoint)})";

    /// <summary>A changed host key (the same message for every transport); <paramref name="fingerprints"/> adds both keys' fingerprints.</summary>
    public static NodeException HostKeyChanged(PiNode node, string? fingerprints = null, Exception? inner = null) =>
        new(NodeErrorKind.HostKeyChanged,
            $"{Where(node)}: the SSH host key has CHANGED since it was recorded in known_hosts. The node may have been reinstalled, "
            + "or someone may be intercepting the connection. " + (fingerprints is null ? "" : fingerprints + " ")
            + "Verify the new key's fingerprint on the node's console "
            + $"(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then remove the old entry with ssh-keygen -R {KnownHostsName(node)}. "
            + "PiCluster never accepts a changed key, not even with -AcceptNewHostKey.", inner);

    /// <summary>An unknown host key under strict checking.</summary>
    public static NodeException HostKeyUnknown(PiNode node, string? detail = null, Exception? inner = null) =>
        new(NodeErrorKind.HostKeyUnknown,
            $"{Where(node)}: the node's SSH host key is not in known_hosts, and strict host-key checking refuses unknown keys. "
            + (detail is null ? "" : detail + " ")
            + "Verify the key's fingerprint on the node's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then run again "
            + "with -AcceptNewHostKey to record it (or connect once with ssh and accept it).", inner);

    /// <summary>Authentication refused.</summary>
    public static NodeException AuthenticationFailed(PiNode node, string detail, Exception? inner = null) =>
        new(NodeErrorKind.AuthenticationFailed,
            $"{Where(node)}: SSH authentication failed. Check the user, the identity file (or that ssh-agent holds the key) and that the "
            + $"public key is in the node's ~/.ssh/authorized_keys. ssh said: {detail}", inner);

    /// <summary>An established connection went away.</summary>
    public static NodeException ConnectionLost(PiNode node, string detail, Exception? inner = null) =>
        new(NodeErrorKind.NodeUnreachable, $"{Where(node)}: the SSH connection was lost. ssh said: {detail}", inner);

    /// <summary>No connection could be made.</summary>
    public static NodeException Unreachable(PiNode node, string detail, Exception? inner = null) =>
        new(NodeErrorKind.NodeUnreachable,
            $"{Where(node)}: cannot reach the node over SSH. Check that it is powered on, on the network and running sshd. ssh said: {detail}", inner);

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
