using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using PiCluster.Steps;
using PiCluster.Steps.NodePrep;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PiCluster.ControlPlane;

/// <summary>How <see cref="KubeconfigMerge.Merge"/> came out.</summary>
public enum KubeconfigMergeStatus
{
    /// <summary>There was no kubeconfig (or an empty one): the result is a new file.</summary>
    Created,

    /// <summary>The cluster's entries were added or updated.</summary>
    Changed,

    /// <summary>The file already holds exactly these entries: nothing to write.</summary>
    Unchanged,
}

/// <summary>Options of a merge.</summary>
/// <param name="ClusterName">Names the entries: cluster and context <c>&lt;name&gt;</c>, user <c>&lt;name&gt;-admin</c>.</param>
/// <param name="Server">An API address to use instead of admin.conf's (a VIP, a DNS name, a tunnel), e.g. https://127.0.0.1:16443; null keeps it.</param>
/// <param name="SwitchContext">Make the cluster's context current even when the file already has a current context.</param>
public sealed record KubeconfigMergeOptions(string ClusterName, string? Server = null, bool SwitchContext = false)
{
    /// <summary>The user entry's name.</summary>
    public string UserName => ClusterName + "-admin";
}

/// <summary>The merged kubeconfig and what changed.</summary>
/// <param name="Text">The whole file to write (equal to the existing text when <see cref="Status"/> is Unchanged).</param>
/// <param name="Status">Created, Changed or Unchanged.</param>
/// <param name="Changes">One line per entry added or updated, and the current-context when it was set.</param>
/// <param name="PreservedLayout">
/// True when the untouched parts of the existing file were kept byte for byte; false when its layout (flow-style lists)
/// made PiCluster write the whole file anew, with the same content but not the same formatting or comments.
/// </param>
public sealed record KubeconfigMergeResult(string Text, KubeconfigMergeStatus Status, IReadOnlyList<string> Changes, bool PreservedLayout)
{
    /// <summary>The unified diff from <paramref name="existing"/> to the merged file, for -WhatIf. It shows credentials: redact before printing.</summary>
    public string Diff(string path, string? existing) => UnifiedDiff.Create(path,
        string.IsNullOrEmpty(existing) ? null : TextLines.ByteEncoding.GetBytes(existing), TextLines.ByteEncoding.GetBytes(Text));
}

/// <summary>What admin.conf holds, as far as a run may know it without the credential itself.</summary>
/// <param name="ClusterName">The name of admin.conf's cluster: kubeadm's clusterName (PiCluster sets it to the cluster file's name; kubeadm's default is "kubernetes").</param>
/// <param name="Server">The API address admin.conf names.</param>
/// <param name="Secrets">The credential values (client certificate and key data, a token or password): register them with the run's redactor.</param>
public sealed record AdminConfSummary(string ClusterName, string Server, IReadOnlyList<string> Secrets);

/// <summary>admin.conf or a kubeconfig is not usable.</summary>
public sealed class KubeconfigException : Exception
{
    /// <summary>With what is wrong and what to do.</summary>
    public KubeconfigException(string message) : base(message) { }

    /// <summary>With the YAML error behind it.</summary>
    public KubeconfigException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Merges a cluster's admin credential into a user's kubeconfig (~/.kube/config) as a cluster, a user and a context named
/// after the cluster, without touching any other cluster, user, context or top-level field. The existing file's text is
/// edited in place where its layout allows (block-style lists, as kubectl writes them), so every other entry keeps its bytes.
/// </summary>
/// <remarks>
/// The credential is admin.conf's own client certificate (user kubernetes-admin, group kubeadm:cluster-admins), not one
/// minted with <c>kubeadm kubeconfig user</c>. Since Kubernetes 1.29 that group is bound to cluster-admin through a
/// ClusterRoleBinding that can be removed (unlike system:masters, which super-admin.conf keeps), kubeadm renews the
/// certificate with the control plane's (<c>kubeadm certs renew</c>, upgrades), and fetching it needs no signing step on
/// the node that would put a new private key in a file or a command line. A minted named user would give audit logs a
/// per-person name, but it cannot be revoked either (client certificates have no revocation in Kubernetes), expires
/// after a year unnoticed, and needs its own ClusterRoleBinding; run <c>kubeadm kubeconfig user</c> by hand for that.
/// </remarks>
public static class KubeconfigMerge
{
    private static readonly string[] Sections = { "clusters", "contexts", "users" };

    /// <summary>Merges <paramref name="adminConf"/> (the node's /etc/kubernetes/admin.conf) into <paramref name="existing"/> (null or "" when there is none).</summary>
    /// <exception cref="KubeconfigException">admin.conf lacks its cluster or user, the existing file is not a kubeconfig, or the server is not an https URL.</exception>
    public static KubeconfigMergeResult Merge(string adminConf, string? existing, KubeconfigMergeOptions options)
    {
        if (ServerProblem(options.Server) is { } problem)
            throw new KubeconfigException(problem);
        var wanted = Wanted(adminConf, options);

        var existingRoot = existing is null || existing.Trim().Length == 0 ? null : Root(existing, "the existing kubeconfig");
        if (existingRoot is null)
        {
            var created = YamlText.Documents(new YamlNode[] { NewFile(wanted, options.ClusterName) });
            var text = string.IsNullOrEmpty(existing) ? created : existing + (existing.EndsWith("\n", StringComparison.Ordinal) ? "" : "\n") + created;
            var all = Sections.Select(s => $"{Singular(s)} {wanted[s].Name} added").Append($"current-context set to {options.ClusterName}").ToList();
            return new KubeconfigMergeResult(text, KubeconfigMergeStatus.Created, all, PreservedLayout: true);
        }

        var changes = new List<string>();
        foreach (var section in Sections)
        {
            var (name, entry) = wanted[section];
            var current = Items(existingRoot, section).FirstOrDefault(i => Scalar(i, "name") == name);
            if (current is null)
                changes.Add($"{Singular(section)} {name} added");
            else if (!Same(current, entry))
                changes.Add($"{Singular(section)} {name} updated");
        }
        var currentContext = Child(existingRoot, "current-context") is YamlScalarNode cc ? cc.Value ?? "" : "";
        var setContext = currentContext != options.ClusterName && (currentContext.Length == 0 || options.SwitchContext);
        if (setContext)
            changes.Add(currentContext.Length == 0 ? $"current-context set to {options.ClusterName}" : $"current-context switched from {currentContext} to {options.ClusterName}");
        if (changes.Count == 0)
            return new KubeconfigMergeResult(existing!, KubeconfigMergeStatus.Unchanged, changes, PreservedLayout: true);

        var spliced = Splice(existing!, existingRoot, wanted, setContext ? options.ClusterName : null);
        if (spliced is not null && Verify(spliced, existingRoot, wanted, setContext ? options.ClusterName : currentContext))
            return new KubeconfigMergeResult(spliced, KubeconfigMergeStatus.Changed, changes, PreservedLayout: true);
        var rewritten = YamlText.Documents(new YamlNode[] { Rewrite(existingRoot, wanted, setContext ? options.ClusterName : null) });
        return new KubeconfigMergeResult(rewritten, KubeconfigMergeStatus.Changed, changes, PreservedLayout: false);
    }

    /// <summary>Why <paramref name="server"/> cannot be a kubeconfig's API address (null when it can, or when there is none).</summary>
    public static string? ServerProblem(string? server) =>
        server is null || (Uri.TryCreate(server, UriKind.Absolute, out var uri) && uri.Scheme == "https" && uri.Host.Length > 0)
            ? null
            : $"Server '{server}' is not an https URL: give the API address like https://192.168.1.200:6443.";

    /// <summary>What admin.conf names and holds: its cluster's name and API address, and the credential values to keep out of sight.</summary>
    /// <exception cref="KubeconfigException">admin.conf is not the kubeconfig kubeadm init writes.</exception>
    public static AdminConfSummary Summarize(string adminConf)
    {
        var (clusterName, cluster, user) = Locate(adminConf);
        var secrets = CredentialKeys.Select(k => Scalar(user, k)).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList();
        return new AdminConfSummary(clusterName, Scalar(cluster, "server")!, secrets);
    }

    // The keys whose values are credentials, in admin.conf and in any user's entry (kubeconfig's AuthInfo and auth-provider config).
    private static readonly string[] CredentialKeys = { "client-certificate-data", "client-key-data", "token", "password", "id-token", "refresh-token", "client-secret" };

    private static readonly System.Text.RegularExpressions.Regex CredentialLine = new(
        @"^(?<key>[-+ ][ \t]*(?:-[ \t]+)?[""']?(?:" + string.Join("|", CredentialKeys.Select(System.Text.RegularExpressions.Regex.Escape)) + @")[""']?[ \t]*:[ \t]*)\S.*$",
        System.Text.RegularExpressions.RegexOptions.Multiline | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// A unified diff of a kubeconfig with the value of every credential line (client key and certificate data, tokens,
    /// passwords) replaced by <see cref="Transport.Redactor.Mask"/>: of the merged user, and of any other user the
    /// diff's context lines show.
    /// </summary>
    public static string RedactCredentials(string diff) =>
        CredentialLine.Replace(diff.Replace("\r\n", "\n"), m => m.Groups["key"].Value + Transport.Redactor.Mask);

    /// <summary>admin.conf's current context's cluster name, cluster entry and user entry.</summary>
    private static (string ClusterName, YamlMappingNode Cluster, YamlMappingNode User) Locate(string adminConf)
    {
        var admin = Root(adminConf, "admin.conf") ?? throw new KubeconfigException("admin.conf is empty: is the control plane initialised?");
        var contexts = Items(admin, "contexts").ToList();
        var contextName = Child(admin, "current-context") is YamlScalarNode { Value.Length: > 0 } c ? c.Value : contexts.Count == 1 ? Scalar(contexts[0], "name") : null;
        var context = contexts.FirstOrDefault(i => Scalar(i, "name") == contextName) is { } found ? Child(found, "context") as YamlMappingNode : null;
        var clusterName = context is null ? null : Scalar(context, "cluster");
        var userName = context is null ? null : Scalar(context, "user");
        var cluster = Items(admin, "clusters").FirstOrDefault(i => Scalar(i, "name") == clusterName) is { } cl ? Child(cl, "cluster") as YamlMappingNode : null;
        var user = Items(admin, "users").FirstOrDefault(i => Scalar(i, "name") == userName) is { } us ? Child(us, "user") as YamlMappingNode : null;
        if (cluster is null || user is null || Scalar(cluster, "server") is null)
            throw new KubeconfigException("admin.conf has no current context with a cluster (server, CA) and a user: it is not the kubeconfig kubeadm init writes.");
        return (clusterName!, cluster, user);
    }

    /// <summary>The three entries to merge, by section: cluster, context and user, built from admin.conf's current context.</summary>
    private static Dictionary<string, (string Name, YamlMappingNode Entry)> Wanted(string adminConf, KubeconfigMergeOptions options)
    {
        var (_, cluster, user) = Locate(adminConf);
        var clusterEntry = (YamlMappingNode)Copy(cluster);
        if (options.Server is not null)
            clusterEntry.Children[new YamlScalarNode("server")] = YamlText.Text(options.Server);
        return new Dictionary<string, (string, YamlMappingNode)>
        {
            ["clusters"] = (options.ClusterName, YamlText.Map(("cluster", clusterEntry), ("name", YamlText.Text(options.ClusterName)))),
            ["contexts"] = (options.ClusterName, YamlText.Map(
                ("context", YamlText.Map(("cluster", YamlText.Text(options.ClusterName)), ("user", YamlText.Text(options.UserName)))),
                ("name", YamlText.Text(options.ClusterName)))),
            ["users"] = (options.UserName, YamlText.Map(("name", YamlText.Text(options.UserName)), ("user", Copy(user)))),
        };
    }

    private static YamlMappingNode NewFile(Dictionary<string, (string Name, YamlMappingNode Entry)> wanted, string context) => YamlText.Map(
        ("apiVersion", YamlText.Text("v1")),
        ("clusters", YamlText.List(new YamlNode[] { wanted["clusters"].Entry })),
        ("contexts", YamlText.List(new YamlNode[] { wanted["contexts"].Entry })),
        ("current-context", YamlText.Text(context)),
        ("kind", YamlText.Text("Config")),
        ("preferences", new YamlMappingNode()),
        ("users", YamlText.List(new YamlNode[] { wanted["users"].Entry })));

    /// <summary>The existing text with only the cluster's entries (and maybe current-context) edited; null when its layout does not allow that.</summary>
    private static string? Splice(string text, YamlMappingNode root, Dictionary<string, (string Name, YamlMappingNode Entry)> wanted, string? newContext)
    {
        if (root.Style == YamlDotNet.Core.Events.MappingStyle.Flow)
            return null;
        var lines = TextLines.Split(text);
        var newline = TextLines.DominantTerminator(lines);
        var edits = new List<(int FromLine, int ToLine, string Text)>(); // replace lines [FromLine, ToLine) (0-based)
        var appended = new StringBuilder();

        foreach (var section in Sections)
        {
            var (name, entry) = wanted[section];
            var key = root.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == section);
            if (key is null)
            {
                appended.Append(section).Append(':').Append(newline).Append(Render(entry, 0, newline));
                continue;
            }
            if (key.Start.Column != 1)
                return null;
            var value = root.Children[key];
            if (value is YamlScalarNode { Value: "" or "~" or "null" } || value is YamlSequenceNode { Children.Count: 0, Style: YamlDotNet.Core.Events.SequenceStyle.Flow })
            {
                // "clusters: []" or "clusters:" with nothing: the key's line becomes the list.
                var line = (int)key.Start.Line - 1;
                if (value is YamlSequenceNode && EndLine(value) - 1 != line)
                    return null;
                edits.Add((line, line + 1, section + ":" + newline + Render(entry, 0, newline)));
                continue;
            }
            if (value is not YamlSequenceNode { Style: not YamlDotNet.Core.Events.SequenceStyle.Flow } list || list.Children.Any(i => i is not YamlMappingNode))
                return null;
            var items = list.Children.Cast<YamlMappingNode>().ToList();
            var firstLine = lines[(int)items[0].Start.Line - 1].Content;
            var dash = firstLine.IndexOf('-');
            if (dash < 0 || firstLine.Substring(0, dash).Trim().Length > 0)
                return null;
            var index = items.FindIndex(i => Scalar(i, "name") == name);
            if (index >= 0 && Same(items[index], entry))
                continue;
            if (items.Any(i => lines[(int)i.Start.Line - 1].Content.IndexOf('-') != dash))
                return null;
            if (index >= 0)
            {
                var from = (int)items[index].Start.Line - 1;
                var to = index + 1 < items.Count ? (int)items[index + 1].Start.Line - 1 : EndLine(items[index]);
                edits.Add((from, to, Render(entry, dash, newline)));
            }
            else
            {
                var after = EndLine(items[^1]);
                edits.Add((after, after, Render(entry, dash, newline)));
            }
        }

        if (newContext is not null)
        {
            var key = root.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == "current-context");
            var line = YamlText.Documents(new YamlNode[] { YamlText.Map(("current-context", YamlText.Text(newContext))) }).TrimEnd('\n') + newline;
            if (key is null)
                appended.Append(line);
            else if (key.Start.Column != 1 || (root.Children[key] is not YamlScalarNode { Value: "", Style: ScalarStyle.Plain } && EndLine(root.Children[key]) - 1 != (int)key.Start.Line - 1))
                return null;
            else
                edits.Add(((int)key.Start.Line - 1, (int)key.Start.Line, line));
        }

        var result = new StringBuilder();
        var position = 0;
        foreach (var edit in edits.OrderBy(e => e.FromLine))
        {
            if (edit.FromLine < position)
                return null;
            for (; position < edit.FromLine; position++)
                result.Append(lines[position].Content).Append(lines[position].Terminator);
            if (edit.FromLine > 0 && lines[edit.FromLine - 1].Terminator.Length == 0)
                result.Append(newline);
            result.Append(edit.Text);
            position = Math.Max(position, edit.ToLine);
        }
        for (; position < lines.Count; position++)
            result.Append(lines[position].Content).Append(lines[position].Terminator);
        if (appended.Length > 0)
        {
            if (result.Length > 0 && result[^1] != '\n')
                result.Append(newline);
            result.Append(appended);
        }
        return result.ToString();
    }

    /// <summary>The whole document anew: the existing content with the cluster's entries put in, for layouts Splice leaves alone.</summary>
    private static YamlMappingNode Rewrite(YamlMappingNode root, Dictionary<string, (string Name, YamlMappingNode Entry)> wanted, string? newContext)
    {
        var copy = (YamlMappingNode)Copy(root);
        foreach (var section in Sections)
        {
            var (name, entry) = wanted[section];
            var key = new YamlScalarNode(section);
            var items = copy.Children.TryGetValue(key, out var value) && value is YamlSequenceNode list ? list.Children.ToList() : new List<YamlNode>();
            var index = items.FindIndex(i => i is YamlMappingNode m && Scalar(m, "name") == name);
            if (index >= 0) items[index] = entry; else items.Add(entry);
            copy.Children[key] = YamlText.List(items);
        }
        if (newContext is not null)
            copy.Children[new YamlScalarNode("current-context")] = YamlText.Text(newContext);
        return copy;
    }

    /// <summary>The merged text has our entries, every other entry and field as before, and the expected current context.</summary>
    private static bool Verify(string merged, YamlMappingNode before, Dictionary<string, (string Name, YamlMappingNode Entry)> wanted, string currentContext)
    {
        YamlMappingNode? after;
        try { after = Root(merged, "the merged kubeconfig"); }
        catch (KubeconfigException) { return false; }
        if (after is null || ((Child(after, "current-context") as YamlScalarNode)?.Value ?? "") != currentContext)
            return false;
        foreach (var pair in before.Children.Where(p => p.Key is YamlScalarNode k && !Sections.Contains(k.Value) && k.Value != "current-context"))
        {
            if (!after.Children.TryGetValue(pair.Key, out var value) || !Same(pair.Value, value))
                return false;
        }
        foreach (var section in Sections)
        {
            var (name, entry) = wanted[section];
            var others = Items(before, section).Where(i => Scalar(i, "name") != name).ToList();
            var now = Items(after, section).ToList();
            if (now.Count(i => Scalar(i, "name") == name && Same(i, entry)) != 1 || now.Count(i => Scalar(i, "name") != name) != others.Count)
                return false;
            if (others.Zip(now.Where(i => Scalar(i, "name") != name)).Any(p => !Same(p.First, p.Second)))
                return false;
        }
        return true;
    }

    /// <summary>One list item at the given dash column, rendered as kubectl writes it.</summary>
    private static string Render(YamlMappingNode entry, int dash, string newline)
    {
        var text = YamlText.Documents(new YamlNode[] { YamlText.List(new YamlNode[] { entry }) });
        var pad = new string(' ', dash);
        return string.Concat(text.Split('\n').Where(l => l.Length > 0).Select(l => pad + l + newline));
    }

    /// <summary>The 0-based line after a node's text ends (a block scalar's end mark is already at the start of the next line).</summary>
    private static int EndLine(YamlNode node) => node switch
    {
        YamlSequenceNode sequence when sequence.Children.Count > 0 => sequence.Children.Max(EndLine),
        YamlMappingNode mapping when mapping.Children.Count > 0 => mapping.Children.Max(e => Math.Max(EndLine(e.Key), EndLine(e.Value))),
        _ => node.End.Column == 1 && node.End.Line > node.Start.Line ? (int)node.End.Line - 1 : (int)node.End.Line,
    };

    private static YamlMappingNode? Root(string text, string what)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new KubeconfigException($"{Capitalize(what)} is not valid YAML (line {e.Start.Line}): {e.Message} Fix or move it; nothing was changed.", e);
        }
        if (stream.Documents.Count == 0)
            return null;
        if (stream.Documents.Count > 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new KubeconfigException($"{Capitalize(what)} is not a kubeconfig (one mapping with clusters, contexts and users): fix or move it; nothing was changed.");
        return root;
    }

    private static IEnumerable<YamlMappingNode> Items(YamlMappingNode root, string section) =>
        (Child(root, section) as YamlSequenceNode)?.Children.OfType<YamlMappingNode>() ?? Enumerable.Empty<YamlMappingNode>();

    private static YamlNode? Child(YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    /// <summary>Structural equality: the same scalars, the same keys (in any order), the same list items in order.</summary>
    private static bool Same(YamlNode a, YamlNode b) => (a, b) switch
    {
        (YamlScalarNode x, YamlScalarNode y) => (x.Value ?? "") == (y.Value ?? ""),
        (YamlSequenceNode x, YamlSequenceNode y) => x.Children.Count == y.Children.Count && x.Children.Zip(y.Children).All(p => Same(p.First, p.Second)),
        (YamlMappingNode x, YamlMappingNode y) => x.Children.Count == y.Children.Count
            && x.Children.All(p => y.Children.TryGetValue(p.Key, out var other) && Same(p.Value, other)),
        _ => false,
    };

    /// <summary>A deep copy that keeps each scalar's style, so a plain true stays a boolean and a quoted "true" a string.</summary>
    private static YamlNode Copy(YamlNode node) => node switch
    {
        YamlScalarNode scalar => new YamlScalarNode(scalar.Value) { Style = scalar.Style },
        YamlSequenceNode sequence => new YamlSequenceNode(sequence.Children.Select(Copy)),
        YamlMappingNode mapping => new YamlMappingNode(mapping.Children.Select(p => new KeyValuePair<YamlNode, YamlNode>(Copy(p.Key), Copy(p.Value)))),
        _ => node,
    };

    private static string Singular(string section) => section.TrimEnd('s');

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text.Substring(1);
}
