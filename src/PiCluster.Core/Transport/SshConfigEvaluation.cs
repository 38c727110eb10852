using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>
/// The settings an SSH connection to a node ends up with, after the node's own fields and its ssh_config: what
/// <c>ssh -G</c> prints, so that both transports see the same HostName, User, Port, IdentityFile, UserKnownHostsFile and
/// ProxyJump.
/// </summary>
public sealed class EffectiveSshConfig
{
    /// <summary>Creates the settings.</summary>
    public EffectiveSshConfig(string hostName, int port, string user, IReadOnlyList<string> identityFiles, bool identitiesOnly,
        IReadOnlyList<string> knownHostsFiles, string? proxyJump, string? proxyCommand, bool fromSsh, bool hashKnownHosts = false,
        string? identityAgent = null)
    {
        IdentityAgent = identityAgent;
        HostName = hostName;
        Port = port;
        User = user;
        IdentityFiles = identityFiles;
        IdentitiesOnly = identitiesOnly;
        KnownHostsFiles = knownHostsFiles;
        ProxyJump = proxyJump;
        ProxyCommand = proxyCommand;
        FromSsh = fromSsh;
        HashKnownHosts = hashKnownHosts;
    }

    /// <summary>Where to connect (HostName).</summary>
    public string HostName { get; }

    /// <summary>The port.</summary>
    public int Port { get; }

    /// <summary>The login user.</summary>
    public string User { get; }

    /// <summary>Identity files in the order ssh tries them (home already expanded); some may not exist.</summary>
    public IReadOnlyList<string> IdentityFiles { get; }

    /// <summary>IdentitiesOnly: only the identity files, no agent keys.</summary>
    public bool IdentitiesOnly { get; }

    /// <summary>The user known_hosts files (UserKnownHostsFile); the first one is where new keys are written.</summary>
    public IReadOnlyList<string> KnownHostsFiles { get; }

    /// <summary>ProxyJump, or null.</summary>
    public string? ProxyJump { get; }

    /// <summary>ProxyCommand, or null.</summary>
    public string? ProxyCommand { get; }

    /// <summary>HashKnownHosts: new known_hosts entries are written hashed (Debian's default ssh_config says yes).</summary>
    public bool HashKnownHosts { get; }

    /// <summary>IdentityAgent: the agent's socket or pipe, "none", or null when not set (then SSH_AUTH_SOCK).</summary>
    public string? IdentityAgent { get; }

    /// <summary>True when <c>ssh -G</c> produced these settings; false for the built-in defaults (no ssh client).</summary>
    public bool FromSsh { get; }
}

/// <summary>Evaluates a node's ssh_config with <c>ssh -G</c> where an ssh client exists, or OpenSSH's defaults where not.</summary>
public static class SshConfigEvaluation
{
    /// <summary>OpenSSH's default identity files, in its order, for keys SSH.NET can use.</summary>
    public static readonly string[] DefaultIdentityFiles = { "~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ed25519" };

    /// <summary>OpenSSH's default user known_hosts files.</summary>
    public static readonly string[] DefaultKnownHostsFiles = { "~/.ssh/known_hosts", "~/.ssh/known_hosts2" };

    /// <summary>The settings for <paramref name="host"/> (a node address, or a ProxyJump hop), with the node's fields winning.</summary>
    public static EffectiveSshConfig Evaluate(string host, int? port, string? user, string? identityFile, string? configFile, TimeSpan timeout)
    {
        var args = new List<string>();
        if (!string.IsNullOrEmpty(configFile)) args.AddRange(new[] { "-F", configFile! });
        if (port is int p) args.AddRange(new[] { "-p", p.ToString(CultureInfo.InvariantCulture) });
        if (!string.IsNullOrEmpty(user)) args.AddRange(new[] { "-l", user! });
        if (!string.IsNullOrEmpty(identityFile)) args.AddRange(new[] { "-i", identityFile!, "-o", "IdentitiesOnly=yes" });
        args.AddRange(new[] { "-G", "--", host });
        var output = RunSshG(args, timeout);
        return output is null ? Defaults(host, port, user, identityFile) : Parse(output, Home());
    }

    /// <summary>The settings of a node.</summary>
    public static EffectiveSshConfig Evaluate(PiNode node, TimeSpan timeout) =>
        Evaluate(node.Address, node.Port, node.User, node.IdentityFile, node.ConfigFile, timeout);

    /// <summary>Reads <c>ssh -G</c> output ("key value" lines).</summary>
    public static EffectiveSshConfig Parse(string output, string home)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in output.Replace("\r\n", "\n").Split('\n'))
        {
            var line = raw.Trim();
            var space = line.IndexOf(' ');
            if (space <= 0) continue;
            var key = line.Substring(0, space);
            if (!values.TryGetValue(key, out var list)) values[key] = list = new List<string>();
            list.Add(line.Substring(space + 1).Trim());
        }
        string? One(string key) => values.TryGetValue(key, out var v) && v.Count > 0 ? v[0] : null;
        string? NotNone(string key) => One(key) is { } v && !string.Equals(v, "none", StringComparison.OrdinalIgnoreCase) ? v : null;
        var identities = values.TryGetValue("identityfile", out var ids) ? ids.Select(i => ExpandHome(Unquote(i), home)).ToList() : new List<string>();
        var knownHosts = One("userknownhostsfile") is { } k ? SplitPaths(k).Select(f => ExpandHome(f, home)).ToList() : new List<string>();
        return new EffectiveSshConfig(
            One("hostname") ?? "",
            int.TryParse(One("port"), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : 22,
            One("user") ?? Environment.UserName,
            identities,
            string.Equals(One("identitiesonly"), "yes", StringComparison.OrdinalIgnoreCase),
            knownHosts,
            NotNone("proxyjump"),
            NotNone("proxycommand"),
            fromSsh: true,
            hashKnownHosts: string.Equals(One("hashknownhosts"), "yes", StringComparison.OrdinalIgnoreCase),
            identityAgent: One("identityagent") is { } agent ? ExpandHome(Unquote(agent), home) : null);
    }

    /// <summary>What OpenSSH would use with no ssh_config at all.</summary>
    public static EffectiveSshConfig Defaults(string host, int? port, string? user, string? identityFile, string? home = null)
    {
        home ??= Home();
        var ids = string.IsNullOrEmpty(identityFile)
            ? DefaultIdentityFiles.Select(f => ExpandHome(f, home)).ToList()
            : new List<string> { ExpandHome(identityFile!, home) };
        return new EffectiveSshConfig(host, port ?? 22, user ?? Environment.UserName, ids, !string.IsNullOrEmpty(identityFile),
            DefaultKnownHostsFiles.Select(f => ExpandHome(f, home)).ToList(), null, null, fromSsh: false);
    }

    /// <summary>The user's home (USERPROFILE on Windows, HOME elsewhere).</summary>
    public static string Home() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>"~/x" and "~\x" under <paramref name="home"/>, with the separators of the home's own style.</summary>
    public static string ExpandHome(string path, string home)
    {
        if (path == "~") return home;
        if (path.Length < 2 || path[0] != '~' || path[1] is not ('/' or '\\')) return path;
        var windows = home.Contains('\\') || (home.Length > 1 && home[1] == ':');
        var rest = path.Substring(2);
        if (windows) return home.TrimEnd('\\', '/') + "\\" + rest.Replace('/', '\\');
        return home.TrimEnd('/') + "/" + rest;
    }

    /// <summary>
    /// The files of a UserKnownHostsFile line. ssh -G prints them separated by spaces without quotes, so a word that
    /// cannot start a path (not /, ~, %, \ or a drive letter) continues the previous one: "/tmp/with space/kh2".
    /// </summary>
    internal static List<string> SplitPaths(string text)
    {
        var paths = new List<string>();
        foreach (var word in SplitWords(text))
        {
            var starts = word.Length == 0 || word[0] is '/' or '~' or '%' or '\\' || (word.Length > 1 && word[1] == ':' && char.IsLetter(word[0]));
            if (!starts && paths.Count > 0) paths[paths.Count - 1] += " " + word;
            else paths.Add(word);
        }
        return paths;
    }

    // Words separated by spaces; "double quoted" words may hold spaces (C:\Users\Jane Doe\.ssh\known_hosts).
    internal static List<string> SplitWords(string text)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in text)
        {
            if (c == '"') { quoted = !quoted; any = true; continue; }
            if (c == ' ' && !quoted)
            {
                if (any || current.Length > 0) words.Add(current.ToString());
                current.Clear();
                any = false;
                continue;
            }
            current.Append(c);
        }
        if (any || current.Length > 0) words.Add(current.ToString());
        return words;
    }

    private static string Unquote(string text) => text.Length >= 2 && text[0] == '"' && text[text.Length - 1] == '"' ? text.Substring(1, text.Length - 2) : text;

    private static string? RunSshG(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("ssh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start);
            if (process is null) return null;
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit((int)timeout.TotalMilliseconds))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return null;
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new NodeException(NodeErrorKind.NodeUnreachable, $"ssh -G could not read the ssh_config for {arguments[arguments.Count - 1]}: {stderr.Result.Trim()}");
            return stdout.Result;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            return null; // no ssh client: OpenSSH's defaults
        }
    }
}
