using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Hosting;
using PiCluster.Steps.Kubernetes;

namespace PiCluster.Commands;

/// <summary>Install-PiKubernetes: kubelet, kubeadm and kubectl at one pinned, held version from a signed repository.</summary>
[Cmdlet(VerbsLifecycle.Install, "PiKubernetes", SupportsShouldProcess = true, DefaultParameterSetName = NodeSet)]
[OutputType(typeof(StepResult))]
public sealed class InstallPiKubernetesCommand : PiNodeCommandBase
{
    /// <summary>A minor ("1.34", its newest patch) or a patch ("1.34.2"); without it, kubernetes.version from the cluster file.</summary>
    [Parameter]
    [ValidatePiValue(PiValue.KubernetesVersion)]
    public string? Version { get; set; }

    /// <summary>A mirror of the Kubernetes apt repository; without it, kubernetes.packageRepository (or pkgs.k8s.io).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PackageRepository { get; set; }

    /// <summary>Path or URL of the repository's signing key; without it, kubernetes.repositoryKey (or the repository's Release.key).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RepositoryKey { get; set; }

    /// <summary>The fingerprint the signing key must have (40 hex digits, as gpg --show-keys prints it); needed for a key fetched over plain http.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RepositoryKeyFingerprint { get; set; }

    /// <summary>Seconds to wait for the apt/dpkg lock (held by unattended-upgrades at first boot, for example).</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeout { get; set; } = 300;

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation)
    {
        var step = new KubernetesPackagesStep(new KubernetesPackagesOptions
        {
            Version = Version,
            PackageRepository = PackageRepository,
            RepositoryKey = RepositoryKey is null ? null : ResolveKeyPath(RepositoryKey),
            RepositoryKeyFingerprint = RepositoryKeyFingerprint,
            LockTimeout = TimeSpan.FromSeconds(LockTimeout),
        });
        // A bad URL, an http key without a pin or a key file that is no public key stops the run before any connection.
        foreach (var node in nodes)
        {
            if (step.CheckPackageSource(node) is { } problem)
                ThrowTerminatingError(new ErrorRecord(new ArgumentException(problem.Message, problem.Field), "InvalidPackageSource",
                    ErrorCategory.InvalidArgument, problem.Field));
        }
        RunSteps(nodes, new NodeStep[] { step }, host, cancellation);
    }

    // A key file path is relative to PowerShell's current location, not the process's.
    private string ResolveKeyPath(string key) => PackageSource.IsUrl(key) ? key : GetUnresolvedProviderPathFromPSPath(key);
}
