namespace PiCluster.Engine.Phases;

/// <summary>Which nodes of the run a <see cref="ClusterPhase"/> runs on.</summary>
public enum PhaseTargets
{
    /// <summary>Every node.</summary>
    All,

    /// <summary>Every control plane, the leader among them.</summary>
    ControlPlanes,

    /// <summary>Every worker.</summary>
    Workers,

    /// <summary>The leader only (see <see cref="ClusterState.Leader"/>), e.g. kubeadm init.</summary>
    Leader,
}
