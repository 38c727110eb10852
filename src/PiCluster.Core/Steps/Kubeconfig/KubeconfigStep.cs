using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.Kubeconfig;

/// <summary>What <see cref="KubeconfigStep"/> merges, and where.</summary>
/// <param name="Path">The kubeconfig on this machine (absolute), e.g. <see cref="KubeconfigFile.DefaultPath"/>.</param>
/// <param name="Server">An API address to write instead of admin.conf's (a VIP, a DNS name, a tunnel); null keeps admin.conf's.</param>
/// <param name="SwitchContext">Make the cluster's context current even when the file has another current context.</param>
/// <param name="ClusterName">Names the context; null: the node's cluster file name, else admin.conf's cluster name.</param>
public sealed record KubeconfigOptions(string Path, string? Server = null, bool SwitchContext = false, string? ClusterName = null);

/// <summary>
/// Brings a control-plane node's admin kubeconfig to this machine and merges it into a kubeconfig here
/// (<see cref="KubeconfigMerge"/>: admin.conf's own credential as user <c>&lt;cluster&gt;-admin</c>, cluster and context
/// named after the cluster, nothing else touched). admin.conf is read as root straight to standard output; its
/// credential values are registered with the run's redactor before anything is planned, and the plan's diff shows
/// every credential line masked. Apply writes the file through <see cref="KubeconfigFile"/> (0600, atomic, backup).
/// </summary>
public sealed class KubeconfigStep : NodeStep
{
    /// <summary>The exit code of admin-conf-read.sh when the node has no admin.conf.</summary>
    private const int NoAdminConf = 3;

    private static readonly RemoteCommand ReadAdminConf = new(RemoteScripts.Compose("admin-conf-read"), asRoot: true, display: "admin-conf-read.sh");

    private readonly KubeconfigOptions _options;

    /// <summary>Creates the step.</summary>
    public KubeconfigStep(KubeconfigOptions options) => _options = options;

    /// <inheritdoc />
    public override string Name => "Kubeconfig";

    /// <summary>What apply needs: the merged text holds the credential, so it never becomes a result's data.</summary>
    private sealed record Planned(KubeconfigFile File, string Text, bool WriteText, KubeconfigResult Result, bool BeforeInit = false);

    /// <summary>
    /// The one node to read admin.conf from: the only node given, else the first control-plane node (every control-plane
    /// node's admin.conf grants the same; reading several would race to write one file); null when none is one.
    /// </summary>
    public static PiNode? ChooseNode(IReadOnlyList<PiNode> nodes) =>
        nodes.Count == 1 ? nodes[0] : nodes.FirstOrDefault(n => n.Role == NodeRole.ControlPlane);

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(StepContext context) => new[] { ReadAdminConf };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(StepContext context)
    {
        var read = await context.Session.RunAsync(ReadAdminConf, context.Cancellation).ConfigureAwait(false);
        if (!read.Succeeded && read.ExitCode != NoAdminConf)
            throw new NodeException(NodeErrorKind.StepFailed,
                $"{context.Node}: reading /etc/kubernetes/admin.conf failed (exit code {read.ExitCode}): {read.Stderr.Trim()}");
        // No cluster yet (-WhatIf before kubeadm init): the merge is planned from a stand-in admin.conf; the apply refuses.
        var beforeInit = !read.Succeeded;
        var adminConf = beforeInit ? PlaceholderAdminConf(context.Node) : read.Stdout;

        AdminConfSummary summary;
        KubeconfigFile file;
        KubeconfigMergeResult merge;
        var clusterName = _options.ClusterName ?? context.Node.Cluster?.Name;
        try
        {
            summary = KubeconfigMerge.Summarize(adminConf);
            // Before any text of this run could carry them: results, -Verbose, ShouldProcess, errors.
            if (!beforeInit)
                foreach (var secret in summary.Secrets) context.Redactor.Add(secret);
            clusterName = string.IsNullOrEmpty(clusterName) ? summary.ClusterName : clusterName;
            file = KubeconfigFile.Read(_options.Path);
            merge = KubeconfigMerge.Merge(adminConf, file.Text, new KubeconfigMergeOptions(clusterName, _options.Server, _options.SwitchContext));
        }
        catch (KubeconfigException e)
        {
            throw new NodeException(NodeErrorKind.InvalidNodeState, $"{context.Node}: {e.Message}", e);
        }

        var changes = new List<Change>();
        foreach (var dir in file.MissingDirectories)
            changes.Add(new Change($"create directory {dir} (mode 0700)"));
        var writeText = merge.Status != KubeconfigMergeStatus.Unchanged;
        if (writeText)
        {
            var diff = KubeconfigMerge.RedactCredentials(merge.Diff(file.Target, file.Text));
            var verb = file.Bytes is null ? "create" : "edit";
            var backup = file.Bytes is null ? "" : $", keeping the old one as {System.IO.Path.GetFileName(file.Target)}.picluster-<UTC timestamp>.bak";
            var placeholder = beforeInit ? $"; the CA and credential shown are placeholders for what kubeadm init creates on {context.Node.Name}" : "";
            changes.Add(new Change($"{verb} {file.Target} (mode 0600{backup}): {string.Join(", ", merge.Changes)}{placeholder}", context.Redactor.Redact(diff)));
            if (!merge.PreservedLayout)
                changes.Add(new Change($"rewrite {file.Target} as block YAML: its flow-style layout cannot be edited in place (same content, comments dropped)"));
        }
        if (file.ModeNeedsFixing)
            changes.Add(new Change($"restrict {file.Target} to mode 0600 (it is {ModeText(file.Mode!.Value)})"));

        var options = new KubeconfigMergeOptions(clusterName, _options.Server, _options.SwitchContext);
        var server = _options.Server ?? summary.Server;
        var unchanged = new KubeconfigResult(context.Node, file.Target, clusterName, options.UserName, server, StepStatus.Unchanged, System.Array.Empty<string>());
        if (changes.Count == 0)
            return StepPlan.Unchanged(unchanged);
        var planned = new KubeconfigResult(context.Node, file.Target, clusterName, options.UserName, server, StepStatus.Changed,
            changes.Select(c => c.Description).ToList());
        return new StepPlan(changes, new Planned(file, merge.Text, writeText, planned, beforeInit));
    }

    /// <summary>
    /// What kubeadm init will write as admin.conf, with placeholders where the CA and the credential will be: the server
    /// is controlPlaneEndpoint when the file sets one, else the node's LAN address on the API port.
    /// </summary>
    internal static string PlaceholderAdminConf(PiNode node)
    {
        var address = node.LanAddress.Contains(':') ? $"[{node.LanAddress}]" : node.LanAddress;
        var endpoint = node.Cluster?.Kubernetes.ControlPlaneEndpoint is { Length: > 0 } set ? set : $"{address}:{KubeadmConfiguration.BindPort}";
        if (endpoint.StartsWith("https://", System.StringComparison.Ordinal)) endpoint = endpoint.Substring("https://".Length);
        return "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n" +
               $"    certificate-authority-data: <the cluster CA, which kubeadm init creates on {node.Name}>\n" +
               $"    server: https://{endpoint}\n  name: kubernetes\n" +
               "contexts:\n- context:\n    cluster: kubernetes\n    user: kubernetes-admin\n  name: kubernetes-admin@kubernetes\n" +
               "current-context: kubernetes-admin@kubernetes\npreferences: {}\nusers:\n- name: kubernetes-admin\n  user:\n" +
               $"    client-certificate-data: <the admin certificate, which kubeadm init creates on {node.Name}>\n" +
               $"    client-key-data: <the admin key, which kubeadm init creates on {node.Name}>\n";
    }

    /// <inheritdoc />
    public override Task<object?> ApplyAsync(StepPlan plan, StepContext context)
    {
        var (file, text, writeText, result, beforeInit) = (Planned)plan.Facts!;
        if (beforeInit)
            throw new NodeException(NodeErrorKind.InvalidNodeState,
                $"{context.Node}: there is no /etc/kubernetes/admin.conf yet: run Initialize-PiControlPlane first (Deploy-PiCluster does, in its Init phase).");
        try
        {
            if (!file.IsCurrent())
                throw new NodeException(NodeErrorKind.InvalidNodeState,
                    $"{context.Node}: {file.Target} changed after it was read; nothing was written. Run again to merge into its new content.");
            var backup = writeText ? file.Write(text) : null;
            if (!writeText) file.RestrictMode();

            // Verify: the file now holds what was merged, with mode 0600.
            var now = KubeconfigFile.Read(file.Path);
            if ((writeText && now.Text != text) || now.ModeNeedsFixing)
                throw new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: {file.Target} does not hold what was written (another program changed it?): run again.");
            context.Verbose($"{context.Node}: {file.Target} written" + (backup is null ? "" : $", previous file kept as {backup}"));
            return Task.FromResult<object?>(new KubeconfigResult(result.Node, result.Path, result.Context, result.User, result.Server, StepStatus.Changed,
                result.Changes, backup));
        }
        catch (System.Exception e) when (e is System.IO.IOException or System.UnauthorizedAccessException)
        {
            throw new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: could not write {file.Target} on this machine: {e.Message}", e);
        }
    }

    private static string ModeText(System.IO.UnixFileMode mode) => System.Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
}
