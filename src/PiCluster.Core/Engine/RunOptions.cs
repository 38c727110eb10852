using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>How a <see cref="ClusterRunner"/> (and the other runners) work through the nodes.</summary>
public sealed class RunOptions
{
    /// <summary>How many nodes are worked on at the same time (the cmdlets' -ThrottleLimit).</summary>
    public int ThrottleLimit { get; set; } = 8;

    /// <summary>How to connect to the nodes.</summary>
    public ConnectOptions Connect { get; set; } = new();
}
