using System;
using System.Linq;
using System.Text.RegularExpressions;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>
/// Turns what the OpenSSH client printed when it failed into a <see cref="NodeException"/> of the right kind, through
/// builders that the SSH.NET transport uses too, so a failure reads the same on either: the node's name once, then where.
/// </summary>
public static class SshErrors
{
    private static readonly string[] UnreachableTexts =
    {
        "Connection refused", "Connection timed out", "Operation timed out", "No route to host", "Network is unreachable",
        "Could not resolve hostname", "Name or service not known", "Connection reset", "Connection closed by",
        "kex_exchange_identification", "Host is down", "connect to host", "Broken pipe", "Timeout, server",
    };

    private static readonly Regex Fingerprint = new(@"SHA256:[A-Za-z0-9+/=]+", RegexOptions.CultureInvariant);
    private static readonly Regex ServerKey = new(@"Server host key: (\S+) (SHA256:[A-Za-z0-9+/=]+)", RegexOptions.CultureInvariant);
    private static readonly Regex OffendingFile = new(@"Offending \S+ key in (.+):\d+\s*$", RegexOptions.CultureInvariant | RegexOptions.Multiline);

    /// <summary>The failure that <paramref name="stderr"/> of a failed ssh describes.</summary>
    /// <param name="node">The node.</param>
    /// <param name="stderr">What ssh printed.</param>
    /// <param name="redactor">Masks secrets in what is quoted from ssh.</param>
    /// <param name="config">What ssh -G said for the node: the known_hosts file and the name the key is recorded under.</param>
    /// <param name="offeredKey">The fingerprint of the key the node offered, when known ("ED25519 key SHA256:...").</param>
    public static NodeException Classify(PiNode node, string stderr, Redactor? redactor = null, SshConfigCheck? config = null, string? offeredKey = null)
    {
        if (node is null) throw new ArgumentNullException(nameof(node));
        stderr ??= "";
        var detail = Summarise(redactor?.Redact(stderr) ?? stderr);
        bool Has(string text) => stderr.IndexOf(text, StringComparison.OrdinalIgnoreCase) >= 0;
        var name = config is null ? KnownHostsName(node) : SshConfigCheck.ShellWord(config.KnownHostsName);

        if (Has("REMOTE HOST IDENTIFICATION HAS CHANGED") || Has("Host key for") && Has("has changed"))
        {
            // ssh prints the offered key's fingerprint, and the known_hosts line that holds the old key.
            var offending = OffendingFile.Match(stderr);
            var file = offending.Success ? offending.Groups[1].Value.Trim() : config?.RecordFile ?? "~/.ssh/known_hosts";
            return HostKeyChanged(node, offeredKey ?? OfferedKey(stderr), file, name);
        }
        if (Has("host key is known for") || Has("Host key verification failed"))
            return HostKeyUnknown(node, offeredKey, config?.RecordFile ?? "known_hosts", name);
        if (Has("Permission denied (") || Has("Too many authentication failures") || Has("no mutual signature algorithm"))
            return AuthenticationFailed(node, detail);
        if (Has("Control socket connect") || Has("mux_client")) return ConnectionLost(node, detail);
        if (UnreachableTexts.Any(Has)) return Unreachable(node, detail);
        return Failed(node, detail);
    }

    // The messages below are the same for every transport: the node's name once, in front (a failure drops it, as it
    // names node and step itself); then where ssh went (Destination), or the ProxyJump hop that failed.

    /// <summary>A changed host key (the same message for every transport).</summary>
    /// <param name="node">The node.</param>
    /// <param name="offered">The fingerprint of the key offered now ("ED25519 key SHA256:..."), when known.</param>
    /// <param name="file">The known_hosts file that holds the old key.</param>
    /// <param name="knownHostsName">The name the key is recorded under, as a shell word (default: <see cref="KnownHostsName"/>).</param>
    /// <param name="recorded">The fingerprint of the recorded key, when known.</param>
    /// <param name="at">What was connected to, when not the node itself (a ProxyJump hop).</param>
    /// <param name="inner">The transport's own exception.</param>
    public static NodeException HostKeyChanged(PiNode node, string? offered, string file, string? knownHostsName = null, string? recorded = null,
        string? at = null, Exception? inner = null)
    {
        if (node is null) throw new ArgumentNullException(nameof(node));
        return new NodeException(NodeErrorKind.HostKeyChanged,
            $"{node.Name}: the SSH host key of {at ?? Destination(node)} has CHANGED since it was recorded in {file}"
            + (recorded is null ? "" : $" (recorded: {recorded})") + ". The node may have been reinstalled, "
            + $"or someone may be intercepting the connection. The node now offers {offered ?? "a key whose fingerprint ssh did not print"}. "
            + "Compare it with the key on the node's own console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); only if they match, "
            + $"remove the old entry with: ssh-keygen -R {knownHostsName ?? KnownHostsName(node)} -f {SshConfigCheck.ShellWord(file)} and run again with -AcceptNewHostKey. "
            + "PiCluster never accepts a changed key, not even with -AcceptNewHostKey.", inner);
    }

    /// <summary>An unknown host key under strict checking.</summary>
    /// <param name="node">The node.</param>
    /// <param name="offered">The fingerprint of the key the node offers ("ED25519 key SHA256:..."), when known.</param>
    /// <param name="file">The known_hosts file(s) looked in.</param>
    /// <param name="knownHostsName">The name the key would be recorded under, as a shell word (default: <see cref="KnownHostsName"/>).</param>
    /// <param name="detail">Why, when more than "not there" (e.g. only @cert-authority entries).</param>
    /// <param name="at">What was connected to, when not the node itself (a ProxyJump hop).</param>
    /// <param name="inner">The transport's own exception.</param>
    public static NodeException HostKeyUnknown(PiNode node, string? offered, string file, string? knownHostsName = null, string? detail = null,
        string? at = null, Exception? inner = null)
    {
        if (node is null) throw new ArgumentNullException(nameof(node));
        return new NodeException(NodeErrorKind.HostKeyUnknown,
            $"{node.Name}: the SSH host key of {at ?? Destination(node)} is not in {file}, and strict host-key checking refuses unknown keys. "
            + (detail is null ? "" : detail + " ")
            + $"The node offers {offered ?? "a key whose fingerprint could not be read"}. Compare it with the key on the node's own console "
            + $"(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); only if they match, run again with -AcceptNewHostKey to record it as {knownHostsName ?? KnownHostsName(node)} "
            + "(or connect once with ssh and accept it).", inner);
    }

    /// <summary>Authentication refused.</summary>
    public static NodeException AuthenticationFailed(PiNode node, string detail, Exception? inner = null) =>
        new(NodeErrorKind.AuthenticationFailed,
            $"{Name(node)}: SSH authentication to {Destination(node)} failed. Check the user, the identity file (or that ssh-agent holds the key) and that the "
            + $"public key is in the node's ~/.ssh/authorized_keys. ssh said: {detail}", inner);

    /// <summary>An established connection went away.</summary>
    public static NodeException ConnectionLost(PiNode node, string detail, Exception? inner = null) =>
        new(NodeErrorKind.NodeUnreachable, $"{Name(node)}: the SSH connection to {Destination(node)} was lost. ssh said: {detail}", inner);

    /// <summary>No connection could be made.</summary>
    public static NodeException Unreachable(PiNode node, string detail, Exception? inner = null) =>
        new(NodeErrorKind.NodeUnreachable,
            $"{Name(node)}: cannot reach {Destination(node)} over SSH. Check that it is powered on, on the network and running sshd. ssh said: {detail}", inner);

    /// <summary>Any other failure of the SSH client.</summary>
    public static NodeException Failed(PiNode node, string detail, Exception? inner = null) =>
        new(NodeErrorKind.NodeUnreachable, $"{Name(node)}: ssh to {Destination(node)} failed: {detail}", inner);

    private static string Name(PiNode node) => (node ?? throw new ArgumentNullException(nameof(node))).Name;

    /// <summary>Where ssh goes, as users write it: [user@]address[:port] (what ssh_config decides is left out).</summary>
    public static string Destination(PiNode node) =>
        (node.User is null ? "" : node.User + "@") + node.Address
        + (node.Port is null ? "" : ":" + node.Port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>"ED25519 key SHA256:..." from ssh's messages: the changed-key banner, or -v's "Server host key" line.</summary>
    public static string? OfferedKey(string stderr)
    {
        if (string.IsNullOrEmpty(stderr)) return null;
        var server = ServerKey.Match(stderr);
        if (server.Success) return $"{KeyType(server.Groups[1].Value)} key {server.Groups[2].Value}";
        var banner = Regex.Match(stderr, @"The fingerprint for the (\S+) key sent by the remote host is\s+(SHA256:[A-Za-z0-9+/=]+)", RegexOptions.CultureInvariant);
        if (banner.Success) return $"{banner.Groups[1].Value} key {banner.Groups[2].Value}";
        var any = Fingerprint.Match(stderr);
        return any.Success ? "key " + any.Value : null;
    }

    /// <summary>How messages name a key type: ED25519, RSA, ECDSA (from ssh's algorithm name).</summary>
    public static string KeyType(string sshName) => sshName switch
    {
        "ssh-ed25519" => "ED25519",
        "ssh-rsa" or "rsa-sha2-256" or "rsa-sha2-512" => "RSA",
        _ when sshName.StartsWith("ecdsa", StringComparison.Ordinal) => "ECDSA",
        _ => sshName,
    };

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
