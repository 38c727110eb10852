using System;

namespace PiCluster.Workers;

/// <summary>How Join-PiWorker's phases time their work.</summary>
public sealed class JoinOptions
{
    /// <summary>The bootstrap token's lifetime: minutes, not kubeadm's 24 h default (it is deleted when the run ends anyway).</summary>
    public TimeSpan TokenTtl { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long kubeadm join may try to reach the API server and verify its CA (JoinConfiguration's timeouts.discovery):
    /// an API that cannot be reached fails the join after this, not after kubeadm's 5 minutes.
    /// </summary>
    public TimeSpan DiscoveryTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long kubeadm join may take on one worker.</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to wait, after the join, for the node to be Ready.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often to look at the node meanwhile.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);
}
