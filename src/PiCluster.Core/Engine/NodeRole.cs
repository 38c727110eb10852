namespace PiCluster.Engine;

/// <summary>What a node is in the cluster.</summary>
public enum NodeRole
{
    /// <summary>Runs kubeadm init (the first) or joins as a control plane.</summary>
    ControlPlane,

    /// <summary>Joins as a worker.</summary>
    Worker,
}
