using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>How a <see cref="ClusterRunner"/> (and the other runners) work through the nodes.</summary>
public sealed class RunOptions
{
    /// <summary>How many nodes are worked on at the same time (the cmdlets' -ThrottleLimit).</summary>
    public int ThrottleLimit { get; set; } = 8;

    /// <summary>How to connect to the nodes.</summary>
    public ConnectOptions Connect { get; set; } = new();

    /// <summary>
    /// How long a node's run lock stays valid without renewal. A running run renews it every half of this, so a run done
    /// within two and a half minutes (a converged Deploy-PiCluster on slow boards) spends no round trip on it; a lock left by a run that died elsewhere is free once it runs out (a
    /// dead run of this machine's at once; see <see cref="NodeLock"/>).
    /// </summary>
    public System.TimeSpan LockLease { get; set; } = System.TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long the facts of a run may take on a node. They are read in one round trip (<see cref="FactBatch"/>), and reading
    /// files takes seconds even under emulation: a node that has not answered within this is hung, and fails with a timeout
    /// instead of holding the run for the sum of every step's command budget.
    /// </summary>
    public System.TimeSpan FactTimeout { get; set; } = System.TimeSpan.FromMinutes(3);

    /// <summary>Take over a node's run lock even when another run holds it, with a warning (the cmdlets' -Force).</summary>
    public bool TakeOverLock { get; set; }
}
