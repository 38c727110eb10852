using System;
using PiCluster.Steps.Kubeconfig;
using PiCluster.Steps.Kubernetes;
using PiCluster.Steps.NodePrep;
using PiCluster.Steps.Runtime;

namespace PiCluster.Deploy;

/// <summary>What Deploy-PiCluster was asked for: the settings of each phase's own cmdlet; unset values come from the cluster file.</summary>
public sealed class DeployOptions
{
    /// <summary>Initialize-PiNode's settings (NTP servers, iptables backend, the reboot's bound).</summary>
    public NodePreparationOptions Preparation { get; set; } = new();

    /// <summary>Install-PiContainerRuntime's settings.</summary>
    public ContainerRuntimeOptions Runtime { get; set; } = new();

    /// <summary>Install-PiKubernetes's settings.</summary>
    public KubernetesPackagesOptions Packages { get; set; } = new();

    /// <summary>How long the control-plane image pull may take.</summary>
    public TimeSpan ImagePullTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long kubeadm init may take.</summary>
    public TimeSpan InitTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long to wait for the pod network's DaemonSet pods to run.</summary>
    public TimeSpan PodNetworkReadyTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often to look at those pods meanwhile; null for the phase's default.</summary>
    public TimeSpan? PodNetworkPollInterval { get; set; }

    /// <summary>Where and how to merge the admin kubeconfig on this machine (Export-PiKubeconfig); null skips that phase.</summary>
    public KubeconfigOptions? Kubeconfig { get; set; }

    /// <summary>Join-PiWorker's settings (token lifetime, join and Ready bounds).</summary>
    public Workers.JoinOptions Join { get; set; } = new();

    /// <summary>Replaces the API check from this machine (tests: no address but loopback may be contacted).</summary>
    internal Func<string, string, TimeSpan, System.Threading.CancellationToken, System.Threading.Tasks.Task<Checks.Cluster.ApiProbe>>? ApiProbe { get; set; }
}
