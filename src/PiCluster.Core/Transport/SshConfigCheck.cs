using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>
/// What the OpenSSH client will do for a node, from <c>ssh -G</c> (the configuration after every Host and Match block),
/// read before anything connects: a node's own ssh_config file is code, since several directives run commands on this
/// machine. Those are refused unless <see cref="ConnectOptions.AllowSshConfigCommands"/>, and -AcceptNewHostKey is
/// refused when new keys would be recorded nowhere.
/// </summary>
public sealed class SshConfigCheck
{
    // ssh follows Include this deep at most.
    private const int MaxIncludeDepth = 16;
    private static readonly TimeSpan EvaluateTimeout = TimeSpan.FromSeconds(20);
    private readonly Dictionary<string, string> _values;

    private SshConfigCheck(Dictionary<string, string> values) => _values = values;

    /// <summary>The host ssh connects to (after HostName).</summary>
    public string HostName => Get("hostname") ?? "";

    /// <summary>The port ssh connects to.</summary>
    public int Port => int.TryParse(Get("port"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 22;

    /// <summary>The name known_hosts records the node under: HostKeyAlias, or the host name, as [host]:port for a port other than 22.</summary>
    public string KnownHostsName
    {
        get
        {
            var alias = Get("hostkeyalias");
            if (!string.IsNullOrEmpty(alias) && alias != "none") return alias!;
            return Port == 22 ? HostName : $"[{HostName}]:{Port.ToString(CultureInfo.InvariantCulture)}";
        }
    }

    /// <summary>The files ssh reads host keys from, the user's first (where it records a new one).</summary>
    public IReadOnlyList<string> UserKnownHostsFiles => Files("userknownhostsfile");

    /// <summary>The system-wide known_hosts files.</summary>
    public IReadOnlyList<string> GlobalKnownHostsFiles => Files("globalknownhostsfile");

    /// <summary>The file a new host key is recorded in, or null when there is none.</summary>
    public string? RecordFile => UserKnownHostsFiles.FirstOrDefault();

    /// <summary>
    /// Reads the configuration ssh will use for <paramref name="node"/> and applies the rules; throws
    /// <see cref="NodeException"/> (SshConfigUnsafe) naming the node, the file and the directive.
    /// </summary>
    public static async Task<SshConfigCheck> EvaluateAsync(PiNode node, ConnectOptions options, CancellationToken cancellation)
    {
        if (node is null) throw new ArgumentNullException(nameof(node));
        if (options is null) throw new ArgumentNullException(nameof(options));
        var file = node.ConfigFile;
        var guarded = !string.IsNullOrEmpty(file) && !options.AllowSshConfigCommands;
        // Before ssh -G: it evaluates Match exec (runs the command) and does not print it.
        if (guarded && FindMatchExec(file!, 0) is { } found)
            throw Unsafe(node, found.File, $"'Match exec' (line {found.Line.ToString(CultureInfo.InvariantCulture)})");

        var args = SshCommandLine.Common(node, options, "none");
        args.AddRange(new[] { "-G", "--", node.Address });
        var outcome = await SshProcess.RunAsync(args, null, false, EvaluateTimeout, cancellation).ConfigureAwait(false);
        if (outcome.ExitCode != 0 || outcome.TimedOut)
            throw new NodeException(NodeErrorKind.NodeUnreachable,
                $"{node.Name}: ssh cannot read its configuration{(file is null ? "" : " " + file)}: {outcome.Stderr.Trim()}");
        var config = Parse(outcome.Stdout);

        if (guarded)
        {
            foreach (var directive in new[] { "ProxyCommand", "LocalCommand", "KnownHostsCommand" })
            {
                var value = config.Get(directive.ToLowerInvariant());
                if (!string.IsNullOrEmpty(value) && value != "none") throw Unsafe(node, file!, $"{directive} ({value})");
            }
            if (string.Equals(config.Get("permitlocalcommand"), "yes", StringComparison.OrdinalIgnoreCase))
                throw Unsafe(node, file!, "PermitLocalCommand yes");
        }
        if (options.AcceptNewHostKey && config.RecordFile is null or "/dev/null")
            throw new NodeException(NodeErrorKind.SshConfigUnsafe,
                $"{node.Name}: -AcceptNewHostKey would record the node's host key nowhere: the ssh configuration{(file is null ? "" : $" ({file})")} "
                + $"sets UserKnownHostsFile to {config.RecordFile ?? "none"}, so every key would be accepted, every time. "
                + "Point UserKnownHostsFile at a real file, or record the key yourself after checking it.");
        return config;
    }

    /// <summary>
    /// Where no ssh client exists (the SSH.NET transport on a machine without OpenSSH, so no ssh -G runs): refuses a
    /// node's own config file with Match exec unless <see cref="ConnectOptions.AllowSshConfigCommands"/>.
    /// </summary>
    public static void RefuseMatchExec(PiNode node, ConnectOptions options)
    {
        if (node is null) throw new ArgumentNullException(nameof(node));
        if (options is null) throw new ArgumentNullException(nameof(options));
        var file = node.ConfigFile;
        if (!string.IsNullOrEmpty(file) && !options.AllowSshConfigCommands && FindMatchExec(file!, 0) is { } found)
            throw Unsafe(node, found.File, $"'Match exec' (line {found.Line.ToString(CultureInfo.InvariantCulture)})");
    }

    /// <summary>
    /// After a connection with -AcceptNewHostKey: checks with <c>ssh-keygen -F</c> that a known_hosts file now holds the
    /// node's key, so an accepted key was really recorded.
    /// </summary>
    public async Task EnsureKeyRecordedAsync(PiNode node, CancellationToken cancellation)
    {
        foreach (var file in UserKnownHostsFiles.Concat(GlobalKnownHostsFiles).Where(File.Exists))
        {
            var outcome = await SshProcess.RunAsync("ssh-keygen", new[] { "-F", KnownHostsName, "-f", file }, null, false, EvaluateTimeout, cancellation)
                .ConfigureAwait(false);
            if (outcome.ExitCode == 0) return;
        }
        throw new NodeException(NodeErrorKind.SshConfigUnsafe,
            $"{node.Name}: the host key was accepted but is not recorded in {RecordFile ?? "any known_hosts file"} (ssh-keygen -F {KnownHostsName} "
            + $"-f {ShellWord(RecordFile ?? "~/.ssh/known_hosts")} finds nothing), so it would not be checked next time. Check that the file is writable.");
    }

    /// <summary>The ssh -G output, one "key value" line each.</summary>
    internal static SshConfigCheck Parse(string output)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Replace("\r\n", "\n").Split('\n'))
        {
            var space = line.IndexOf(' ');
            if (space <= 0) continue;
            var key = line.Substring(0, space).ToLowerInvariant();
            if (!values.ContainsKey(key)) values[key] = line.Substring(space + 1).Trim();
        }
        return new SshConfigCheck(values);
    }

    /// <summary>A word for a shell command line shown to the user, quoted when it needs to be.</summary>
    internal static string ShellWord(string text) =>
        text.Length > 0 && text.All(c => char.IsLetterOrDigit(c) || "/._-+:@%,=~".IndexOf(c) >= 0) ? text : ShellText.Quote(text);

    private string? Get(string key) => _values.TryGetValue(key, out var v) ? v : null;

    private IReadOnlyList<string> Files(string key)
    {
        var value = Get(key);
        if (string.IsNullOrEmpty(value) || value == "none") return Array.Empty<string>();
        return value!.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries).Select(ExpandHome).ToList();
    }

    private static NodeException Unsafe(PiNode node, string file, string directive) =>
        new(NodeErrorKind.SshConfigUnsafe,
            $"{node.Name}: the ssh_config file {file} sets {directive}, which runs a command on this machine. PiCluster refuses that "
            + "for a config file named by the cluster file or -ConfigFile, and connected to nothing. If you trust the file, run again with "
            + "-AllowSshConfigCommands.");

    /// <summary>The first <c>Match ... exec</c> in the file or the files it includes (ssh_config(5) grammar), or null.</summary>
    internal static (string File, int Line)? FindMatchExec(string path, int depth)
    {
        if (depth > MaxIncludeDepth || !File.Exists(path)) return null;
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        for (var i = 0; i < lines.Length; i++)
        {
            var words = Words(lines[i]);
            if (words.Count == 0) continue;
            var keyword = words[0].ToLowerInvariant();
            if (keyword == "match" && words.Skip(1).Any(w => w.TrimStart('!').Equals("exec", StringComparison.OrdinalIgnoreCase)))
                return (path, i + 1);
            if (keyword != "include") continue;
            foreach (var pattern in words.Skip(1))
                foreach (var included in IncludedFiles(pattern))
                    if (FindMatchExec(included, depth + 1) is { } found) return found;
        }
        return null;
    }

    // Keyword and arguments: "Keyword arg", "Keyword=arg", double quotes group words.
    private static List<string> Words(string line)
    {
        var words = new List<string>();
        var text = line.Trim();
        if (text.Length == 0 || text[0] == '#') return words;
        var keywordEnd = text.IndexOfAny(new[] { ' ', '\t', '=' });
        words.Add(keywordEnd < 0 ? text : text.Substring(0, keywordEnd));
        if (keywordEnd < 0) return words;
        var rest = text.Substring(keywordEnd).TrimStart(' ', '\t');
        if (rest.StartsWith("=", StringComparison.Ordinal)) rest = rest.Substring(1);
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in rest)
        {
            if (c == '"') { quoted = !quoted; continue; }
            if (!quoted && (c == ' ' || c == '\t'))
            {
                if (current.Length > 0) { words.Add(current.ToString()); current.Clear(); }
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0) words.Add(current.ToString());
        return words;
    }

    // Include: ~ is the home folder, a relative path is under ~/.ssh (a -F file is a user configuration), and the file
    // name may hold wildcards.
    private static IEnumerable<string> IncludedFiles(string pattern)
    {
        var path = ExpandHome(pattern);
        if (!Path.IsPathRooted(path)) path = Path.Combine(Home(), ".ssh", path);
        var name = Path.GetFileName(path);
        if (name.IndexOfAny(new[] { '*', '?', '[' }) < 0) return new[] { path };
        var directory = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(directory) || !Directory.Exists(directory)) return Array.Empty<string>();
        try { return Directory.GetFiles(directory, name).OrderBy(f => f, StringComparer.Ordinal).ToList(); }
        catch (IOException) { return Array.Empty<string>(); }
        catch (UnauthorizedAccessException) { return Array.Empty<string>(); }
    }

    private static string ExpandHome(string path) =>
        path == "~" ? Home() : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Home(), path.Substring(2)) : path;

    private static string Home() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
}
