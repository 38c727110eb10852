using System.Collections.Generic;
using PiCluster.Engine;

namespace PiCluster.Steps.Kubeconfig;

/// <summary>What Export-PiKubeconfig did to a kubeconfig on this machine. Holds no credential.</summary>
public sealed class KubeconfigResult
{
    /// <summary>Creates a result.</summary>
    public KubeconfigResult(PiNode node, string path, string context, string user, string server, StepStatus status,
        IReadOnlyList<string> changes, string? backup = null)
    {
        Node = node;
        Path = path;
        Context = context;
        User = user;
        Server = server;
        Status = status;
        Changes = changes;
        Backup = backup;
    }

    /// <summary>The control-plane node admin.conf was read from.</summary>
    public PiNode Node { get; }

    /// <summary>The kubeconfig file written (the target of a symbolic link).</summary>
    public string Path { get; }

    /// <summary>The context (and cluster entry) named after the cluster.</summary>
    public string Context { get; }

    /// <summary>The user entry holding the credential, <c>&lt;cluster&gt;-admin</c>.</summary>
    public string User { get; }

    /// <summary>The API server address the cluster entry names.</summary>
    public string Server { get; }

    /// <summary>Changed, or Unchanged when the file already held exactly these entries with mode 0600.</summary>
    public StepStatus Status { get; }

    /// <summary>What was changed, one line each ("user homelab-admin updated"); empty when Unchanged.</summary>
    public IReadOnlyList<string> Changes { get; }

    /// <summary>The copy of the previous file, <c>&lt;file&gt;.picluster-&lt;UTC timestamp&gt;.bak</c>; null when the file was new or only its mode changed.</summary>
    public string? Backup { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Context} in {Path}";
}
